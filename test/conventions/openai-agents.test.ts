/**
 * The OpenAI Agents SDK end to end: a real `@openai/agents` triage agent with a function tool and a handoff to an
 * expert agent, its model on a local server speaking the Responses API, traced by this package's processor
 * (`register()`), exported with the real OTLP/HTTP exporter to a receiver with embedded ClickHouse, and read back
 * through `GET /v1/trajectories/{id}`. The SDK's default export to OpenAI is removed and no API key is set, so
 * nothing leaves the machine. The first run is recorded from the SDK's span data alone (the `openai` client is not
 * instrumented yet); the second, streamed, after `register()` also instrumented `openai`, so its model calls come
 * from that instrumentation: both must yield the same trajectories.
 */
import * as agents from '@openai/agents';
import { Agent, Runner, setDefaultOpenAIClient, setTraceProcessors, setTracingDisabled, tool } from '@openai/agents';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Receiver } from '../../collector/receiver.ts';
import { register, type InstrumentationHandle } from '../../instrumentation/src/index.ts';
import type { Trajectory } from '../../src/model/trajectory.ts';
import { startTestReceiver } from '../helpers/test-receiver.ts';
import {
  startScriptedResponsesServer,
  triageThenHandOff,
  type ScriptedResponsesServer,
} from './scripted-responses-server.ts';

const quietSeconds = 1;
let receiver: Receiver;
let model: ScriptedResponsesServer;
let handle: InstrumentationHandle | undefined;
let memory: InMemorySpanExporter;
const savedApiKey = process.env['OPENAI_API_KEY'];

const calculator = tool({
  name: 'calculator',
  description: 'Evaluates an arithmetic expression',
  parameters: z.object({ expression: z.string() }),
  execute: ({ expression }) => {
    const [left, right] = expression.split('*').map(Number);
    return String((left ?? Number.NaN) * (right ?? Number.NaN));
  },
});
const expert = new Agent({ name: 'Math expert', instructions: 'You are the math expert.', model: 'gpt-scripted' });
const triage = new Agent({
  name: 'Triage',
  instructions: 'You triage arithmetic questions.',
  model: 'gpt-scripted',
  tools: [calculator],
  handoffs: [expert],
});

beforeAll(async () => {
  // No key, and no OpenAI exporter: the SDK's default processor would send traces to api.openai.com.
  delete process.env['OPENAI_API_KEY'];
  setTraceProcessors([]);
  // Vitest sets NODE_ENV=test, which turns the SDK's tracing off by default.
  setTracingDisabled(false);
  receiver = await startTestReceiver({ quietSeconds });
  model = await startScriptedResponsesServer(triageThenHandOff);
  setDefaultOpenAIClient(new OpenAI({ baseURL: model.baseURL, apiKey: 'local-test-key', maxRetries: 0 }));
});

afterAll(async () => {
  await handle?.shutdown();
  await model?.close();
  await receiver?.close();
  if (savedApiKey !== undefined) process.env['OPENAI_API_KEY'] = savedApiKey;
});

function registerInstrumentation(modules: { '@openai/agents': unknown; openai?: unknown }): void {
  memory = new InMemorySpanExporter();
  handle = register({
    serviceName: 'agents-sdk-e2e',
    autoInstrument: false,
    modules,
    // The real OTLP/HTTP exporter to the receiver; the in-memory copy only tells the test the ids it got.
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${receiver.httpUrl}/v1/traces` })),
      new SimpleSpanProcessor(memory),
    ],
  });
}

async function trajectory(id: string): Promise<Trajectory> {
  const response = await fetch(`${receiver.httpUrl}/v1/trajectories/${id}`);
  expect(response.status, id).toBe(200);
  return (await response.json()) as Trajectory;
}

function spanNamed(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.find((span) => span.name === name);
  if (!found) throw new Error(`no span ${name} in ${spans.map((span) => span.name).join(', ')}`);
  return found;
}

/** Runs the workflow, exports its spans and returns the two agents' trajectories and the spans. */
async function runWorkflow(options: { stream: boolean; groupId: string }) {
  const runner = new Runner({ groupId: options.groupId });
  if (options.stream) {
    const result = await runner.run(triage, 'What is 17 * 23?', { stream: true });
    for await (const event of result) void event;
    await result.completed;
    expect(result.finalOutput).toBe('17 * 23 = 391.');
  } else {
    const result = await runner.run(triage, 'What is 17 * 23?');
    expect(result.finalOutput).toBe('17 * 23 = 391.');
  }
  await handle!.forceFlush();
  await receiver.flush();
  await new Promise((resolve) => setTimeout(resolve, quietSeconds * 1000 + 300));
  const spans = memory.getFinishedSpans();
  const triageSpan = spanNamed(spans, 'invoke_agent Triage').spanContext();
  const expertSpan = spanNamed(spans, 'invoke_agent Math expert').spanContext();
  return {
    spans,
    triageId: `${triageSpan.traceId}-${triageSpan.spanId}`,
    triage: await trajectory(`${triageSpan.traceId}-${triageSpan.spanId}`),
    expert: await trajectory(`${expertSpan.traceId}-${expertSpan.spanId}`),
  };
}

function expectWorkflowTrajectories(
  { triageId, triage, expert }: { triageId: string; triage: Trajectory; expert: Trajectory },
  groupId: string,
): void {
  expect(triage).toMatchObject({
    agent_name: 'Triage',
    parent_trajectory_id: '',
    conversation_id: groupId,
    turn_count: 2,
    tool_call_count: 2,
    error_count: 0,
    input_tokens: 60,
    output_tokens: 14,
  });
  const [first, second] = triage.turns;
  expect(triage.turns.map((turn) => turn.index)).toEqual([0, 1]);
  expect(BigInt(first!.start_time_unix_nano) < BigInt(second!.start_time_unix_nano)).toBe(true);
  expect(first).toMatchObject({ model: 'gpt-scripted', provider: 'openai', input_tokens: 30, output_tokens: 7 });
  expect(first!.input_messages).toEqual([
    { role: 'system', content: 'You triage arithmetic questions.' },
    { role: 'user', content: 'What is 17 * 23?' },
  ]);
  // The server numbers calls per response (call_<response>_<position>); the tool spans must carry the same ids.
  const calculatorCall = first!.output_message?.tool_calls?.[0]?.id ?? '';
  const handoffCall = second!.output_message?.tool_calls?.[0]?.id ?? '';
  expect(calculatorCall).toMatch(/^call_\d+_0$/);
  expect(handoffCall).not.toBe(calculatorCall);
  expect(first!.output_message?.tool_calls).toEqual([
    { id: calculatorCall, type: 'function', function: { name: 'calculator', arguments: '{"expression":"17 * 23"}' } },
  ]);
  expect(first!.tool_calls).toEqual([
    expect.objectContaining({
      name: 'calculator',
      call_id: calculatorCall,
      arguments: '{"expression":"17 * 23"}',
      result: '391',
      status: 'ok',
    }),
  ]);
  expect(second!.new_messages).toEqual([{ role: 'tool', tool_call_id: calculatorCall, content: '391' }]);
  expect(second!.tool_calls).toEqual([
    expect.objectContaining({
      name: 'transfer_to_Math_expert',
      call_id: handoffCall,
      result: '{"assistant":"Math expert"}',
      status: 'ok',
    }),
  ]);

  expect(expert).toMatchObject({
    agent_name: 'Math expert',
    parent_trajectory_id: triageId,
    turn_count: 1,
    input_tokens: 30,
    output_tokens: 7,
  });
  expect(expert.turns[0]!.output_message).toMatchObject({ role: 'assistant', content: '17 * 23 = 391.' });
  // The expert sees the whole conversation, the handoff's result included.
  expect(expert.turns[0]!.input_messages.at(-1)).toEqual({
    role: 'tool',
    tool_call_id: handoffCall,
    content: '{"assistant":"Math expert"}',
  });
}

describe('OpenAI Agents SDK runs through register() and the receiver', () => {
  it('a run with a function tool and a handoff is the triage trajectory (turns in order, the tool call with its result, tokens) with the expert agent as its child trajectory', async () => {
    registerInstrumentation({ '@openai/agents': agents });
    const workflow = await runWorkflow({ stream: false, groupId: 'conversation-plain' });
    expectWorkflowTrajectories(workflow, 'conversation-plain');
    // One SDK trace is one OTel trace.
    expect(new Set(workflow.spans.map((span) => span.spanContext().traceId)).size).toBe(1);
  });

  it('a streamed run whose model calls the openai instrumentation records yields the same trajectories, each call once', async () => {
    registerInstrumentation({ '@openai/agents': agents, openai: OpenAI });
    const workflow = await runWorkflow({ stream: true, groupId: 'conversation-streamed' });
    expectWorkflowTrajectories(workflow, 'conversation-streamed');
    const modelCalls = workflow.spans.filter((span) => span.name === 'chat gpt-scripted');
    expect(modelCalls).toHaveLength(3);
    for (const call of modelCalls) {
      expect(call.attributes).toMatchObject({ 'gen_ai.request.stream': true, 'server.address': '127.0.0.1' });
      expect(call.attributes['openai_agents.span.type']).toBeUndefined();
    }
  });
});
