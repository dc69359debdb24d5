/**
 * LangChain.js and LangGraph.js through OpenInference's langchain instrumentation (the real
 * `@arizeai/openinference-instrumentation-langchain` on `@langchain/core`'s callback manager), with the real
 * `ChatOpenAI` of `@langchain/openai` (1.5: the last line that supports Node.js 20) talking to the local model
 * server, exported over OTLP/HTTP to a real receiver.
 * - A LangGraph ReAct agent (model node, ToolNode, checkpointed thread) with two tools, one of which fails: one
 *   trace per invocation under a `LangGraph` chain span, LLM spans and the ToolNode's TOOL spans; the thread id
 *   becomes the conversation id.
 * - A hand-written LangChain loop (`bindTools`, the agent runs its tool itself): each model call its own trace,
 *   no tool spans, stitched by history continuity.
 * The instrumentation keeps call ids and the tool's result only in its serialized LangChain messages; the mapping
 * reads them from there, so calls pair with their results by id.
 */
import * as CallbackManagerModule from '@langchain/core/callbacks/manager';
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { MemorySaver, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { ToolNode, toolsCondition } from '@langchain/langgraph/prebuilt';
import { ChatOpenAI } from '@langchain/openai';
import { LangChainInstrumentation } from '@arizeai/openinference-instrumentation-langchain';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { startModelServer, type ModelServer } from '../../../examples/model-server.ts';
import type { CanonicalSpan } from '../../../src/model/span.ts';
import { startStoredAgentRuns, type StoredAgentRuns } from './stored-agent-runs.ts';
import { forecast, WEATHER_SYSTEM_PROMPT } from './weather-agent.ts';

const graphQuestion = 'What do weather and almanac say about Rome?';
const loopQuestion = 'What is the weather in Vienna right now?';
const threadId = 'weather-thread-1';

let runs: StoredAgentRuns;
let modelServer: ModelServer;
let graphMessages: BaseMessage[];
let loopMessages: BaseMessage[];
let graphTrace: CanonicalSpan[];
let loopTraces: CanonicalSpan[][];

const weather = tool(({ city }) => forecast(city), {
  name: 'weather',
  description: 'Current weather in a city',
  schema: z.object({ city: z.string() }),
});

/** A tool that fails: LangGraph's ToolNode turns the error into a ToolMessage with status `error`. */
const almanac = tool(
  (): string => {
    throw new Error('almanac offline');
  },
  { name: 'almanac', description: 'Sunrise and sunset in a city', schema: z.object({ city: z.string() }) },
);

/** A plain LangChain agent loop: the model asks, the agent runs `forecast` itself and appends ToolMessages. */
async function runLangChainLoop(model: ChatOpenAI, question: string): Promise<BaseMessage[]> {
  const withTools = model.bindTools([weather]);
  const messages: BaseMessage[] = [new SystemMessage(WEATHER_SYSTEM_PROMPT), new HumanMessage(question)];
  for (let step = 0; step < 4; step++) {
    const reply: AIMessage = await withTools.invoke(messages);
    messages.push(reply);
    if (reply.tool_calls === undefined || reply.tool_calls.length === 0) return messages;
    for (const call of reply.tool_calls) {
      const { city } = call.args as { city: string };
      messages.push(new ToolMessage({ content: forecast(city), tool_call_id: call.id ?? '' }));
    }
  }
  throw new Error('no answer in 4 steps');
}

beforeAll(async () => {
  runs = await startStoredAgentRuns('langchain-weather-agent');
  modelServer = await startModelServer();
  const instrumentation = new LangChainInstrumentation();
  instrumentation.setTracerProvider(runs.tracerProvider);
  // ESM: the callback manager module is instrumented directly, as OpenInference documents.
  instrumentation.manuallyInstrument(CallbackManagerModule);
  const model = new ChatOpenAI({
    model: 'langchain-model',
    apiKey: 'test-key',
    configuration: { baseURL: modelServer.openaiBaseUrl },
    maxRetries: 0,
  });
  // The ReAct graph as LangGraph's docs build it: a model node, a ToolNode, and the tools condition between them.
  const modelWithTools = model.bindTools([weather, almanac]);
  const agent = new StateGraph(MessagesAnnotation)
    .addNode('agent', async (state) => ({
      messages: [await modelWithTools.invoke([new SystemMessage(WEATHER_SYSTEM_PROMPT), ...state.messages])],
    }))
    .addNode('tools', new ToolNode([weather, almanac]))
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', toolsCondition)
    .addEdge('tools', 'agent')
    .compile({ checkpointer: new MemorySaver() });
  const [graphResult, loopResult] = await Promise.all([
    agent.invoke({ messages: [new HumanMessage(graphQuestion)] }, { configurable: { thread_id: threadId } }),
    runLangChainLoop(model, loopQuestion),
  ]);
  graphMessages = graphResult.messages;
  loopMessages = loopResult;
  await runs.flush();
  const traces = await Promise.all(runs.traceIds().map((traceId) => runs.storedTrace(traceId)));
  const isGraph = (trace: CanonicalSpan[]) => trace.some((span) => span.name === 'LangGraph');
  graphTrace = traces.find(isGraph) ?? [];
  loopTraces = traces.filter((trace) => !isGraph(trace));
});

afterAll(async () => {
  await modelServer?.close();
  await runs?.close();
});

function toolCallIdsOf(messages: BaseMessage[]): string[] {
  const reply = messages.find((message): message is AIMessage => AIMessage.isInstance(message));
  return (reply?.tool_calls ?? []).map((call) => call.id ?? '');
}

describe('LangGraph ReAct graph through OpenInference', () => {
  test('stores one trace: LLM spans with call ids and the thread as conversation, TOOL spans with their results', () => {
    const [weatherId, almanacId] = toolCallIdsOf(graphMessages);
    expect(weatherId).toMatch(/^call_/);
    expect(almanacId).toMatch(/^call_/);
    const llm = graphTrace.filter((span) => span.kind === 'llm');
    const tools = graphTrace.filter((span) => span.kind === 'tool');
    expect(llm).toHaveLength(2);
    for (const span of llm) expect(span).toMatchObject({ convention: 'openinference', conversation_id: threadId });
    const city = JSON.stringify({ city: graphQuestion });
    expect(llm[0]?.output_messages[0]?.tool_calls).toEqual([
      { id: weatherId, type: 'function', function: { name: 'weather', arguments: city } },
      { id: almanacId, type: 'function', function: { name: 'almanac', arguments: city } },
    ]);
    // The ToolMessages of the next input say whether each tool failed.
    expect(llm[1]?.input_messages.slice(2)).toEqual([
      { role: 'assistant', content: null, tool_calls: llm[0]?.output_messages[0]?.tool_calls },
      { role: 'tool', content: forecast(graphQuestion), tool_call_id: weatherId, is_error: false },
      {
        role: 'tool',
        content: expect.stringContaining('almanac offline') as unknown,
        tool_call_id: almanacId,
        is_error: true,
      },
    ]);
    expect(tools.map((span) => [span.tool_name, span.tool_call_id, span.status])).toEqual(
      expect.arrayContaining([
        ['weather', weatherId, 'ok'],
        // A failed tool returns no ToolMessage to the callbacks: its span cannot name the call it answers.
        ['almanac', '', 'error'],
      ]),
    );
    expect(tools).toHaveLength(2);
    expect(tools.find((span) => span.tool_name === 'weather')?.tool_result).toBe(forecast(graphQuestion));
  });

  test('makes the graph run one trajectory whose calls are answered by the TOOL spans, and shows the task', async () => {
    const summaries = await runs.trajectories();
    const summary = summaries.find((candidate) => candidate.trace_id === graphTrace[0]?.trace_id);
    expect(summary).toMatchObject({ turn_count: 2, tool_call_count: 2, conversation_id: threadId });
    const trajectory = await runs.trajectory(summary!.id);
    const [weatherId, almanacId] = toolCallIdsOf(graphMessages);
    expect(trajectory.turns[0]?.tool_calls).toMatchObject([
      {
        name: 'weather',
        call_id: weatherId,
        result: forecast(graphQuestion),
        result_source: 'tool_span',
        status: 'ok',
      },
      { name: 'almanac', call_id: almanacId, result_source: 'tool_span', status: 'error' },
    ]);
    expect(trajectory.turns[1]?.output_message?.content).toBe(graphMessages.at(-1)?.content);
    // No task attributes: the task is the first user message.
    expect(summary?.task).toBe(graphQuestion);
  });
});

describe('LangChain agent loop running its tool itself, through OpenInference', () => {
  test('stores each model call as its own trace, with call ids and the tool result in the next input', () => {
    const [callId] = toolCallIdsOf(loopMessages);
    expect(loopTraces).toHaveLength(2);
    const [first, second] = loopTraces
      .map((trace) => trace.find((span) => span.kind === 'llm')!)
      .sort((a, b) => a.input_messages.length - b.input_messages.length);
    for (const trace of loopTraces) expect(trace.filter((span) => span.kind === 'tool')).toEqual([]);
    expect(first?.output_messages[0]?.tool_calls?.[0]?.id).toBe(callId);
    expect(second?.input_messages.at(-1)).toEqual({
      role: 'tool',
      content: forecast(loopQuestion),
      tool_call_id: callId,
    });
    expect(second?.output_messages[0]?.content).toBe(loopMessages.at(-1)?.content);
  });

  // The rules under test: stitching by history continuity, results taken from the next call's input.
  test('makes the loop one trajectory with the tool result from the next call and the task', async () => {
    const summaries = await runs.trajectories();
    const loop = summaries.filter((summary) => summary.trace_id !== graphTrace[0]?.trace_id);
    expect(loop).toHaveLength(1);
    expect(loop[0]).toMatchObject({ turn_count: 2, tool_call_count: 1, task: loopQuestion });
    const trajectory = await runs.trajectory(loop[0]!.id);
    expect(trajectory.turns[0]?.tool_calls).toMatchObject([
      {
        call_id: toolCallIdsOf(loopMessages)[0],
        result: forecast(loopQuestion),
        result_source: 'message',
        status: 'unknown',
      },
    ]);
  });
});
