/**
 * The OpenAI Agents SDK processor with the real `@openai/agents` (0.14) against local model servers: the scripted
 * Responses API server for a triage agent that calls a tool and hands off, and the example model server's Chat
 * Completions for the SDK's Chat Completions model. Spans go to an in-memory exporter; a second SDK processor
 * records the SDK's own spans, to compare ids and times. The SDK's default export to OpenAI is removed. The test
 * that instruments the `openai` client runs last, because patching the client cannot be undone in a process.
 */
import * as agents from '@openai/agents';
import {
  addTraceProcessor,
  Agent,
  OpenAIChatCompletionsModel,
  run,
  Runner,
  setDefaultOpenAIClient,
  setTraceProcessors,
  setTracingDisabled,
  tool,
} from '@openai/agents';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startModelServer, type ModelServer } from '../../examples/model-server.ts';
import {
  SCRIPTED_USAGE,
  startScriptedResponsesServer,
  triageThenHandOff,
  type ScriptedResponsesServer,
} from '../../test/conventions/scripted-responses-server.ts';
import {
  openAIAgentsTracingProcessor,
  register,
  trajectory,
  type AgentsSpan,
  type InstrumentationHandle,
  type RegisterOptions,
} from '../src/index.ts';
import { jsonAttribute } from './helpers.ts';

let responsesServer: ScriptedResponsesServer;
let chatServer: ModelServer;
let exporter: InMemorySpanExporter;
let handle: InstrumentationHandle;
/** The SDK's own spans, as a second processor saw them end. */
const sdkSpans: AgentsSpan[] = [];
const savedApiKey = process.env['OPENAI_API_KEY'];

function reregister(options: RegisterOptions = {}, modules: Record<string, unknown> = {}): void {
  exporter = new InMemorySpanExporter();
  handle = register({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    autoInstrument: false,
    ...options,
    modules: { '@openai/agents': agents, ...modules },
  });
}

beforeAll(async () => {
  delete process.env['OPENAI_API_KEY'];
  setTraceProcessors([]);
  setTracingDisabled(false);
  addTraceProcessor({
    onTraceStart: async () => {},
    onTraceEnd: async () => {},
    onSpanStart: async () => {},
    onSpanEnd: async (span) => {
      sdkSpans.push(span);
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  });
  responsesServer = await startScriptedResponsesServer(triageThenHandOff);
  chatServer = await startModelServer();
  setDefaultOpenAIClient(new OpenAI({ baseURL: responsesServer.baseURL, apiKey: 'local-test-key', maxRetries: 0 }));
});

afterAll(async () => {
  await handle?.shutdown();
  await responsesServer?.close();
  await chatServer?.close();
  if (savedApiKey !== undefined) process.env['OPENAI_API_KEY'] = savedApiKey;
});

beforeEach(() => {
  sdkSpans.length = 0;
  reregister();
});

const calculator = tool({
  name: 'calculator',
  description: 'Evaluates a product of two numbers',
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

async function finishedSpans(): Promise<ReadableSpan[]> {
  await handle.forceFlush();
  return exporter.getFinishedSpans();
}

function named(spans: readonly ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((span) => span.name === name);
}

function only(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = named(spans, name);
  if (found.length !== 1) throw new Error(`${found.length} spans named ${name}: ${spans.map((s) => s.name).join()}`);
  return found[0]!;
}

function parentOf(spans: readonly ReadableSpan[], span: ReadableSpan): ReadableSpan | undefined {
  const parentId = span.parentSpanContext?.spanId;
  return spans.find((candidate) => candidate.spanContext().spanId === parentId);
}

function milliseconds([seconds, nanoseconds]: [number, number]): number {
  return seconds * 1000 + Math.round(nanoseconds / 1e6);
}

describe('OpenAI Agents SDK traces as GenAI spans', () => {
  it('makes one OTel trace of the SDK trace: root, task, agents, turns, model calls and tools, in the SDK tree with its times', async () => {
    const result = await run(triage, 'What is 17 * 23?');
    expect(result.finalOutput).toBe('17 * 23 = 391.');
    const spans = await finishedSpans();
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1);
    expect(spans.map((span) => span.name).sort()).toEqual([
      'Agent workflow',
      'chat gpt-scripted',
      'chat gpt-scripted',
      'chat gpt-scripted',
      'execute_tool calculator',
      'execute_tool transfer_to_Math_expert',
      'invoke_agent Math expert',
      'invoke_agent Triage',
      'task Agent workflow',
      'turn 1',
      'turn 2',
      'turn 3',
    ]);
    const root = only(spans, 'Agent workflow');
    expect(root.parentSpanContext).toBeUndefined();
    expect(parentOf(spans, only(spans, 'task Agent workflow'))).toBe(root);
    expect(parentOf(spans, only(spans, 'invoke_agent Triage'))?.name).toBe('task Agent workflow');
    for (const turn of ['turn 1', 'turn 2']) {
      expect(parentOf(spans, only(spans, turn))?.name).toBe('invoke_agent Triage');
    }
    expect(parentOf(spans, only(spans, 'turn 3'))?.name).toBe('invoke_agent Math expert');
    for (const chat of named(spans, 'chat gpt-scripted')) {
      expect(chat.kind).toBe(SpanKind.CLIENT);
      expect(parentOf(spans, chat)?.name).toMatch(/^turn /);
    }
    // Every SDK span is one OTel span with the SDK's id, parent relation and times (the SDK records milliseconds).
    expect(sdkSpans).toHaveLength(spans.length - 1);
    const bySdkId = new Map(spans.map((span) => [span.attributes['openai_agents.span_id'], span]));
    for (const sdkSpan of sdkSpans) {
      const span = bySdkId.get(sdkSpan.spanId);
      expect(span, sdkSpan.spanData.type).toBeDefined();
      expect(span!.attributes['openai_agents.span.type']).toBe(sdkSpan.spanData.type);
      expect(span!.attributes['openai_agents.trace_id']).toBe(sdkSpan.traceId);
      expect(milliseconds(span!.startTime)).toBe(Date.parse(sdkSpan.startedAt!));
      expect(milliseconds(span!.endTime)).toBe(Date.parse(sdkSpan.endedAt!));
      if (span!.name !== 'invoke_agent Math expert') {
        expect(parentOf(spans, span!)?.attributes['openai_agents.span_id']).toBe(sdkSpan.parentId ?? undefined);
      }
    }
  });

  it('records model calls from the response spans: model, usage, system instructions, messages and tool definitions', async () => {
    await run(triage, 'What is 17 * 23?');
    const [first, second] = named(await finishedSpans(), 'chat gpt-scripted');
    expect(first!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'openai.api.type': 'responses',
      'gen_ai.response.model': 'gpt-scripted',
      'gen_ai.response.id': expect.stringMatching(/^resp_/) as unknown,
      'gen_ai.response.finish_reasons': ['tool_call'],
      'gen_ai.usage.input_tokens': SCRIPTED_USAGE.input_tokens,
      'gen_ai.usage.output_tokens': SCRIPTED_USAGE.output_tokens,
      'gen_ai.usage.cache_read.input_tokens': 4,
      'gen_ai.usage.reasoning.output_tokens': 2,
    });
    expect(jsonAttribute(first!, 'gen_ai.system_instructions')).toEqual([
      { type: 'text', content: 'You triage arithmetic questions.' },
    ]);
    expect(jsonAttribute(first!, 'gen_ai.input.messages')).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'What is 17 * 23?' }] },
    ]);
    const [call] = (jsonAttribute(first!, 'gen_ai.output.messages') as Array<{ parts: Array<{ id: string }> }>)[0]!
      .parts;
    expect(jsonAttribute(first!, 'gen_ai.output.messages')).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: call!.id, name: 'calculator', arguments: { expression: '17 * 23' } }],
        finish_reason: 'tool_call',
      },
    ]);
    expect(
      (jsonAttribute(first!, 'gen_ai.tool.definitions') as Array<{ name: string }>).map((tool) => tool.name),
    ).toEqual(['calculator', 'transfer_to_Math_expert']);
    // The SDK's items (camelCase call ids, function_call_result) arrive as GenAI tool calls and tool responses.
    expect(jsonAttribute(second!, 'gen_ai.input.messages')).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'What is 17 * 23?' }] },
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: call!.id, name: 'calculator', arguments: { expression: '17 * 23' } }],
      },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: call!.id, response: '391' }] },
    ]);
  });

  it('gives tool and handoff spans the call id of the model call that asked for them, with arguments, result and status OK', async () => {
    await run(triage, 'What is 17 * 23?');
    const spans = await finishedSpans();
    const [first, second] = named(spans, 'chat gpt-scripted');
    const callId = (chat: ReadableSpan): string =>
      (jsonAttribute(chat, 'gen_ai.output.messages') as Array<{ parts: Array<{ id: string }> }>)[0]!.parts[0]!.id;

    const calculatorSpan = only(spans, 'execute_tool calculator');
    expect(calculatorSpan.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'calculator',
      'gen_ai.tool.type': 'function',
      'gen_ai.tool.call.id': callId(first!),
      'gen_ai.tool.call.arguments': '{"expression":"17 * 23"}',
      'gen_ai.tool.call.result': '391',
    });
    expect(calculatorSpan.status.code).toBe(SpanStatusCode.OK);

    const handoff = only(spans, 'execute_tool transfer_to_Math_expert');
    expect(handoff.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'transfer_to_Math_expert',
      'gen_ai.tool.call.id': callId(second!),
      'gen_ai.tool.call.arguments': '{}',
      'gen_ai.tool.call.result': '{"assistant":"Math expert"}',
      'openai_agents.handoff.from_agent': 'Triage',
      'openai_agents.handoff.to_agent': 'Math expert',
    });
    expect(handoff.status.code).toBe(SpanStatusCode.OK);
  });

  it('places the agent a handoff transfers to under the handoff span, keeping the SDK parent as an attribute', async () => {
    await run(triage, 'What is 17 * 23?');
    const spans = await finishedSpans();
    const target = only(spans, 'invoke_agent Math expert');
    expect(parentOf(spans, target)).toBe(only(spans, 'execute_tool transfer_to_Math_expert'));
    expect(target.attributes['openai_agents.parent_span_id']).toBe(
      only(spans, 'task Agent workflow').attributes['openai_agents.span_id'],
    );
    expect(only(spans, 'invoke_agent Triage').attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'Triage',
      'openai_agents.agent.tools': ['calculator'],
      'openai_agents.agent.handoffs': ['Math expert'],
      'openai_agents.agent.output_type': 'text',
    });
  });

  it('records a tool that throws as an ERROR execute_tool span with the message the model was given', async () => {
    const failing = tool({
      name: 'calculator',
      description: 'Always fails',
      parameters: z.object({ expression: z.string() }),
      execute: () => {
        throw new RangeError('overflow');
      },
    });
    const fragile = new Agent({
      name: 'Fragile',
      instructions: 'You triage arithmetic questions.',
      model: 'gpt-scripted',
      tools: [failing],
      handoffs: [expert],
    });
    await run(fragile, 'What is 17 * 23?');
    const span = only(await finishedSpans(), 'execute_tool calculator');
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: expect.stringContaining('overflow') as unknown,
    });
    expect(span.attributes['error.type']).toMatch(/^Error running tool/);
    expect(String(span.attributes['gen_ai.tool.call.result'])).toContain('overflow');
  });

  it('records the Chat Completions model from its generation spans, plain and streamed', async () => {
    const client = new OpenAI({ baseURL: chatServer.openaiBaseUrl, apiKey: 'local-test-key', maxRetries: 0 });
    const solver = new Agent({
      name: 'Solver',
      instructions: 'Solve it.',
      model: new OpenAIChatCompletionsModel(client, 'gpt-chat'),
      modelSettings: { temperature: 0.2 },
      tools: [calculator],
    });
    await run(solver, 'Use the calculator for 17 * 23');
    const streamed = await run(solver, 'Use the calculator for 17 * 23', { stream: true });
    for await (const event of streamed) void event;
    await streamed.completed;
    const chats = named(await finishedSpans(), 'chat gpt-chat');
    expect(chats).toHaveLength(4);
    for (const [index, chat] of chats.entries()) {
      expect(chat.attributes).toMatchObject({
        'openai_agents.span.type': 'generation',
        'gen_ai.provider.name': 'openai',
        'openai.api.type': 'chat_completions',
        'gen_ai.request.model': 'gpt-chat',
        'gen_ai.request.temperature': 0.2,
        'gen_ai.response.finish_reasons': [index % 2 === 0 ? 'tool_calls' : 'stop'],
      });
      expect(chat.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
      expect(chat.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    }
    const [first, second] = chats;
    expect(jsonAttribute(first!, 'gen_ai.input.messages')).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'Solve it.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Use the calculator for 17 * 23' }] },
    ]);
    expect(jsonAttribute(second!, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'The answer is 391.' }], finish_reason: 'stop' },
    ]);
    const tools = named(exporter.getFinishedSpans(), 'execute_tool calculator');
    expect(tools.map((span) => span.attributes['gen_ai.tool.call.id'])).toEqual([
      expect.stringMatching(/^call_/),
      expect.stringMatching(/^call_/),
    ]);
  });

  it('records no messages, arguments or results with content capture off, but models, usage and call ids', async () => {
    reregister({ captureMessageContent: false });
    await run(triage, 'What is 17 * 23?');
    const spans = await finishedSpans();
    const contentKeys = [
      'gen_ai.input.messages',
      'gen_ai.output.messages',
      'gen_ai.system_instructions',
      'gen_ai.tool.definitions',
      'gen_ai.tool.call.arguments',
      'gen_ai.tool.call.result',
    ];
    for (const span of spans) for (const key of contentKeys) expect(span.attributes[key], span.name).toBeUndefined();
    expect(named(spans, 'chat gpt-scripted')[0]!.attributes['gen_ai.usage.input_tokens']).toBe(30);
    expect(only(spans, 'execute_tool calculator').attributes['gen_ai.tool.call.id']).toMatch(/^call_/);
  });

  it('keeps call ids but no tool arguments or results when the run does not trace sensitive data', async () => {
    await new Runner({ traceIncludeSensitiveData: false }).run(triage, 'What is 17 * 23?');
    const spans = await finishedSpans();
    const calculatorSpan = only(spans, 'execute_tool calculator');
    expect(calculatorSpan.attributes['gen_ai.tool.call.id']).toMatch(/^call_/);
    expect(calculatorSpan.attributes['gen_ai.tool.call.arguments']).toBeUndefined();
    expect(calculatorSpan.attributes['gen_ai.tool.call.result']).toBeUndefined();
    expect(named(spans, 'chat gpt-scripted')[0]!.attributes['gen_ai.usage.input_tokens']).toBe(30);
  });

  it('passes tool arguments and results through the redaction hook', async () => {
    reregister({
      redactContent: (value, { attribute }) =>
        attribute.startsWith('gen_ai.tool.call.') ? String(value).replaceAll(/\d/g, '#') : value,
    });
    await run(triage, 'What is 17 * 23?');
    expect(only(await finishedSpans(), 'execute_tool calculator').attributes).toMatchObject({
      'gen_ai.tool.call.arguments': '{"expression":"## * ##"}',
      'gen_ai.tool.call.result': '###',
    });
  });

  it('nests the SDK trace under an enclosing trajectory(), whose conversation id its agents and model calls repeat', async () => {
    await trajectory('answer 17 * 23', () => run(triage, 'What is 17 * 23?'), {
      agentName: 'outer',
      conversationId: 'thread-7',
    });
    const spans = await finishedSpans();
    expect(parentOf(spans, only(spans, 'Agent workflow'))).toBe(only(spans, 'invoke_agent outer'));
    expect(only(spans, 'invoke_agent Triage').attributes['gen_ai.conversation.id']).toBe('thread-7');
    for (const chat of named(spans, 'chat gpt-scripted'))
      expect(chat.attributes['gen_ai.conversation.id']).toBe('thread-7');
  });

  it('records each span once when the processor is registered with the SDK twice', async () => {
    reregister();
    addTraceProcessor(openAIAgentsTracingProcessor());
    await run(triage, 'What is 17 * 23?');
    const spans = await finishedSpans();
    expect(named(spans, 'execute_tool calculator')).toHaveLength(1);
    expect(named(spans, 'chat gpt-scripted')).toHaveLength(3);
    expect(named(spans, 'Agent workflow')).toHaveLength(1);
  });

  it('never throws into the SDK: malformed traces and spans resolve, a model span with unreadable data is a bare chat span', async () => {
    const processor = openAIAgentsTracingProcessor();
    const garbage: unknown[] = [undefined, null, 42, {}, { traceId: 7 }, { traceId: 't', spanId: 's', spanData: null }];
    for (const value of garbage) {
      await expect(processor.onTraceStart(value as never)).resolves.toBeUndefined();
      await expect(processor.onSpanStart(value as never)).resolves.toBeUndefined();
      await expect(processor.onSpanEnd(value as never)).resolves.toBeUndefined();
      await expect(processor.onTraceEnd(value as never)).resolves.toBeUndefined();
    }
    const odd = {
      traceId: 'trace_odd',
      spanId: 'span_odd',
      parentId: null,
      startedAt: 'not a time',
      endedAt: null,
      error: null,
      spanData: { type: 'response', _response: 'not an object', _input: 17 },
    };
    await expect(processor.onSpanStart(odd as never)).resolves.toBeUndefined();
    await expect(processor.onSpanEnd(odd as never)).resolves.toBeUndefined();
    await expect(processor.onTraceEnd({ traceId: 'trace_odd' })).resolves.toBeUndefined();
    expect((await finishedSpans()).map((span) => span.name)).toEqual(['chat', 'Agent workflow']);
  });

  it('records nothing once the handle is shut down, and the run still completes', async () => {
    await handle.shutdown();
    const result = await run(triage, 'What is 17 * 23?');
    expect(result.finalOutput).toBe('17 * 23 = 391.');
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('with the openai client instrumented, records each model call once, from that instrumentation, where the SDK model span was', async () => {
    reregister({}, { openai: OpenAI });
    await run(triage, 'What is 17 * 23?');
    const spans = await finishedSpans();
    const chats = named(spans, 'chat gpt-scripted');
    expect(chats).toHaveLength(3);
    for (const chat of chats) {
      expect(chat.attributes).toMatchObject({
        'gen_ai.request.model': 'gpt-scripted',
        'server.address': '127.0.0.1',
        'gen_ai.usage.input_tokens': 30,
      });
      expect(chat.attributes['openai_agents.span.type']).toBeUndefined();
      expect(parentOf(spans, chat)?.name).toMatch(/^turn /);
    }
    expect(only(spans, 'execute_tool calculator').attributes['gen_ai.tool.call.id']).toMatch(/^call_/);
  });
});
