/**
 * Anthropic Messages with `tool_use` / `tool_result` blocks through the product's instrumentation, end to end: the
 * real `@anthropic-ai/sdk` against the local model server, an agent inside `trajectory()` that runs its two tools
 * itself (no `tool()` spans) and answers one call with `is_error: true`, exported over OTLP/HTTP to a real receiver.
 * The results reach the store only as `tool_result` blocks of the next call's input; their status is Anthropic's
 * `is_error` where the agent set it, and unknown where it did not.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { startModelServer, type ModelServer } from '../../examples/model-server.ts';
import type { CanonicalSpan } from '../../src/model/span.ts';
import type { Trajectory, TrajectorySummary } from '../../src/model/trajectory.ts';
import { startTestReceiver } from '../../test/helpers/test-receiver.ts';
import { register, trajectory, type InstrumentationHandle } from '../src/index.ts';

const task = 'Use calculator and weather: what is 6 * 7, and is it sunny in Oslo?';
const tools: Anthropic.Tool[] = [
  {
    name: 'calculator',
    description: 'Evaluates an arithmetic expression',
    input_schema: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
  },
  {
    name: 'weather',
    description: 'Current weather in a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
];

let receiver: Receiver;
let modelServer: ModelServer;
let instrumentation: InstrumentationHandle;
let traceId: string;
let toolUses: Anthropic.ToolUseBlock[];
let answer: string;
let stored: CanonicalSpan[];

/** The agent's own tools: the calculator works, the weather service is down. */
function runTool(use: Anthropic.ToolUseBlock): Anthropic.ToolResultBlockParam {
  if (use.name === 'calculator') return { type: 'tool_result', tool_use_id: use.id, content: '42' };
  return { type: 'tool_result', tool_use_id: use.id, content: 'weather service unavailable', is_error: true };
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${receiver.httpUrl}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

beforeAll(async () => {
  receiver = await startTestReceiver();
  modelServer = await startModelServer();
  instrumentation = register({
    serviceName: 'anthropic-tool-agent',
    endpoint: receiver.httpUrl,
    modules: { anthropic: Anthropic },
    autoInstrument: false,
  });
  const anthropic = new Anthropic({ baseURL: modelServer.url, apiKey: 'test-key', maxRetries: 0 });
  traceId = await trajectory(
    task,
    async (span) => {
      const messages: Anthropic.MessageParam[] = [{ role: 'user', content: task }];
      for (let step = 0; step < 4; step++) {
        const reply = await anthropic.messages.create({ model: 'claude-tools', max_tokens: 256, messages, tools });
        messages.push({ role: 'assistant', content: reply.content });
        const uses = reply.content.filter((block) => block.type === 'tool_use');
        if (uses.length === 0) {
          answer = reply.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
          break;
        }
        toolUses = uses;
        messages.push({ role: 'user', content: uses.map(runTool) });
      }
      return span.spanContext().traceId;
    },
    { agentName: 'anthropic-tool-agent' },
  );
  await instrumentation.forceFlush();
  await receiver.flush();
  stored = (await getJson<{ spans: CanonicalSpan[] }>(`/v1/traces/${traceId}`)).spans;
});

afterAll(async () => {
  await instrumentation?.shutdown();
  await modelServer?.close();
  await receiver?.close();
});

describe('Anthropic tool_use / tool_result through the instrumentation', () => {
  test('stores the run with each tool_result as a tool message of the next call, is_error only where it was set', () => {
    expect(toolUses.map((use) => use.name)).toEqual(['calculator', 'weather']);
    expect(answer).toBe('The answer is 42 and weather service unavailable.');
    expect(stored.filter((span) => span.kind === 'agent')).toHaveLength(1);
    expect(stored.filter((span) => span.kind === 'tool')).toEqual([]);
    const [first, second] = stored
      .filter((span) => span.kind === 'llm')
      .sort((a, b) => a.input_messages.length - b.input_messages.length);
    expect(first?.output_messages[0]?.tool_calls?.map((call) => call.id)).toEqual(toolUses.map((use) => use.id));
    expect(second?.input_messages.filter((message) => message.role === 'tool')).toEqual([
      { role: 'tool', tool_call_id: toolUses[0]?.id, content: '42' },
      { role: 'tool', tool_call_id: toolUses[1]?.id, content: 'weather service unavailable', is_error: true },
    ]);
  });

  // The rule under test: results, and their status, taken from the next call's input.
  test('makes one trajectory whose calls are answered from the messages: error where is_error, else unknown', async () => {
    const { trajectories } = await getJson<{ trajectories: TrajectorySummary[] }>('/v1/trajectories?limit=100');
    expect(trajectories).toHaveLength(1);
    expect(trajectories[0]).toMatchObject({ trace_id: traceId, task, turn_count: 2, tool_call_count: 2 });
    const run = await getJson<Trajectory>(`/v1/trajectories/${encodeURIComponent(trajectories[0]!.id)}`);
    expect(run.turns[0]?.tool_calls).toMatchObject([
      { name: 'calculator', call_id: toolUses[0]?.id, result: '42', result_source: 'message', status: 'unknown' },
      {
        name: 'weather',
        call_id: toolUses[1]?.id,
        result: 'weather service unavailable',
        result_source: 'message',
        status: 'error',
      },
    ]);
    expect(run.turns[1]?.output_message?.content).toBe(answer);
  });
});
