/**
 * Zero code for the OpenAI Agents SDK: unmodified `@openai/agents` apps (fixtures/agents-esm-agent.mjs with
 * `--import`, fixtures/agents-cjs-agent.cjs with `--require` of the register entry) in child processes, configured
 * only by OTEL_* variables, exporting to a real receiver. The module hooks must attach the tracing processor after
 * the SDK installed its own, and patch the `openai` client the SDK calls, so each model call is recorded once,
 * inside the agent's trace. The children get no OPENAI_API_KEY, so the SDK's own exporter sends nothing to OpenAI.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { startModelServer, type ModelServer } from '../../examples/model-server.ts';
import type { CanonicalSpan } from '../../src/model/span.ts';
import { queryRows, startTestReceiver } from '../../test/helpers/test-receiver.ts';
import { ensureBuilt, fixtures, repositoryRoot } from './built-package.ts';

let receiver: Receiver;
let modelServer: ModelServer;

beforeAll(async () => {
  ensureBuilt();
  receiver = await startTestReceiver();
  modelServer = await startModelServer();
});

afterAll(async () => {
  await modelServer?.close();
  await receiver?.close();
});

function runApp(flag: '--import' | '--require', script: string, serviceName: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [flag, '@agent-trajectories/instrumentation/register', join(fixtures, script)],
      {
        cwd: repositoryRoot,
        timeout: 30_000,
        env: {
          PATH: process.env['PATH'] ?? '',
          MODEL_SERVER_URL: modelServer.url,
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl,
          OTEL_SERVICE_NAME: serviceName,
        },
      },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

async function storedSpans(serviceName: string): Promise<CanonicalSpan[]> {
  await receiver.flush();
  const traces = await queryRows<{ trace_id: string }>(
    receiver,
    'SELECT DISTINCT trace_id FROM spans WHERE service_name = {service:String}',
    { service: serviceName },
  );
  expect(traces).toHaveLength(1);
  const response = await fetch(`${receiver.httpUrl}/v1/traces/${traces[0]!.trace_id}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { spans: CanonicalSpan[] }).spans;
}

function expectOneAgentRun(spans: CanonicalSpan[]): void {
  expect(spans.map((span) => span.name).sort()).toEqual([
    'Agent workflow',
    'chat zero-model',
    'chat zero-model',
    'execute_tool calculator',
    'invoke_agent zero-code solver',
    'task Agent workflow',
    'turn 1',
    'turn 2',
  ]);
  const byId = new Map(spans.map((span) => [span.span_id, span]));
  const chats = spans.filter((span) => span.kind === 'llm');
  for (const chat of chats) {
    // Recorded by the openai instrumentation (it knows the server), inside the SDK's turn.
    expect(chat.attributes['server.address']).toBe('127.0.0.1');
    expect(byId.get(chat.parent_span_id)?.name).toMatch(/^turn /);
  }
  const calculator = spans.find((span) => span.kind === 'tool');
  const requested = chats.flatMap((chat) => chat.output_messages?.flatMap((message) => message.tool_calls ?? []) ?? []);
  expect(requested).toHaveLength(1);
  expect(calculator).toMatchObject({ tool_name: 'calculator', tool_call_id: requested[0]!.id, status: 'ok' });
  expect(spans.find((span) => span.kind === 'agent')).toMatchObject({ agent_name: 'zero-code solver' });
}

describe('zero-code instrumentation of @openai/agents apps', () => {
  it('traces an ESM app run with --import: one trace, the model calls once each, the tool with its call id', async () => {
    const stdout = await runApp('--import', 'agents-esm-agent.mjs', 'agents-zero-code-esm');
    expect(JSON.parse(stdout)).toEqual({ answer: 'The answer is 391.' });
    expectOneAgentRun(await storedSpans('agents-zero-code-esm'));
  });

  it('traces a CommonJS app run with --require the same way', async () => {
    const stdout = await runApp('--require', 'agents-cjs-agent.cjs', 'agents-zero-code-cjs');
    expect(JSON.parse(stdout)).toEqual({ answer: 'The answer is 391.' });
    expectOneAgentRun(await storedSpans('agents-zero-code-cjs'));
  });
});
