/**
 * End to end: the example agent (real `openai` client, auto-instrumentation, trajectory/tool/reward) and an
 * Anthropic call export over real OTLP/HTTP to the receiver (embedded ClickHouse in a temp dir); what the receiver
 * stores for the trace is read back through `GET /v1/traces/{trace_id}`.
 */
import Anthropic from '@anthropic-ai/sdk';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver } from '../../collector/receiver.ts';
import { runAgent } from '../../examples/agent.ts';
import { startModelServer, type ModelServer } from '../../examples/model-server.ts';
import { register, trajectory, type InstrumentationHandle } from '../src/index.ts';

interface StoredSpan {
  span_id: string;
  parent_span_id: string;
  name: string;
  kind: string;
  status: string;
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  tool_name: string | null;
  tool_call_id: string | null;
  input_messages: Array<Record<string, unknown>> | null;
  output_messages: Array<Record<string, unknown>> | null;
  rewards?: unknown;
  [field: string]: unknown;
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let modelServer: ModelServer;
let instrumentation: InstrumentationHandle;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'instrumentation-e2e-'));
  receiver = await startReceiver({ host: '127.0.0.1', httpPort: 0, grpcPort: 0, dataDir });
  modelServer = await startModelServer();
  instrumentation = register({
    serviceName: 'e2e-agent',
    endpoint: receiver.httpUrl,
    modules: { openai: OpenAI, anthropic: Anthropic },
    autoInstrument: false,
  });
});

afterAll(async () => {
  await instrumentation?.shutdown();
  await modelServer?.close();
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function storedTrace(traceId: string): Promise<StoredSpan[]> {
  await instrumentation.forceFlush();
  const flushable = receiver as unknown as { flush?: () => Promise<void> };
  if (typeof flushable.flush === 'function') await flushable.flush();
  const response = await fetch(`${receiver.httpUrl}/v1/traces/${traceId}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { spans: StoredSpan[] }).spans;
}

describe('instrumented agent -> receiver', () => {
  it('stores the agent, LLM, tool and reward spans of a tool-using run with messages, tokens and call ids', async () => {
    const openai = new OpenAI({ baseURL: modelServer.openaiBaseUrl, apiKey: 'local', maxRetries: 0 });
    const run = await runAgent(openai, {
      id: 'arithmetic',
      question: 'Use the calculator: what is 17 * 23?',
      expected: '391',
    });
    expect(run).toMatchObject({ answer: 'The answer is 391.', reward: 1 });

    const spans = await storedTrace(run.traceId);
    const byKind = (kind: string) => spans.filter((span) => span.kind === kind);
    expect(byKind('agent')).toHaveLength(1);
    expect(byKind('llm')).toHaveLength(2);
    expect(byKind('tool')).toHaveLength(1);
    expect(byKind('reward')).toHaveLength(1);

    const agent = byKind('agent')[0]!;
    for (const span of spans.filter((candidate) => candidate !== agent))
      expect(span.parent_span_id).toBe(agent.span_id);

    const [first, second] = byKind('llm');
    expect(first).toMatchObject({
      model: 'local-agent-model',
      status: expect.stringMatching(/^(ok|unset)$/) as unknown,
    });
    expect(first?.input_tokens).toBeGreaterThan(0);
    expect(first?.output_tokens).toBeGreaterThan(0);
    const toolCall = (
      first?.output_messages?.[0]?.['tool_calls'] as
        Array<{ id: string; function: { name: string; arguments: string } }> | undefined
    )?.[0];
    expect(toolCall?.function.name).toBe('calculator');
    expect(JSON.parse(toolCall?.function.arguments ?? '{}')).toEqual({ expression: '17 * 23' });

    const toolSpan = byKind('tool')[0]!;
    expect(toolSpan).toMatchObject({ tool_name: 'calculator', tool_call_id: toolCall?.id });
    const toolMessage = second?.input_messages?.find((message) => message['role'] === 'tool');
    expect(toolMessage).toMatchObject({ tool_call_id: toolCall?.id, content: '391' });
    expect(second?.output_messages?.[0]).toMatchObject({ role: 'assistant', content: 'The answer is 391.' });

    expect(JSON.stringify(byKind('reward')[0])).toContain('1');
  });

  it('stores a streamed Anthropic call with its assembled output', async () => {
    const anthropic = new Anthropic({ baseURL: modelServer.url, apiKey: 'local', maxRetries: 0 });
    const traceId = await trajectory(
      'greet',
      async (span) => {
        const stream = await anthropic.messages.create({
          model: 'claude-e2e',
          max_tokens: 64,
          stream: true,
          system: 'Be kind.',
          messages: [{ role: 'user', content: 'hello receiver' }],
        });
        for await (const event of stream) void event;
        return span.spanContext().traceId;
      },
      { agentName: 'e2e-anthropic' },
    );
    const spans = await storedTrace(traceId);
    const llm = spans.find((span) => span.kind === 'llm');
    expect(llm).toMatchObject({ model: 'claude-e2e', output_tokens: 4 });
    expect(
      llm?.input_messages?.some(
        (message) => message['role'] === 'user' && JSON.stringify(message).includes('hello receiver'),
      ),
    ).toBe(true);
    expect(llm?.output_messages?.[0]).toMatchObject({ role: 'assistant', content: 'You said: hello receiver' });
  });
});
