/**
 * The real proof of zero-code instrumentation: unmodified agents run in child processes with
 * `node --import|--require @agent-trajectories/instrumentation/register`, configured only by OTEL_* variables,
 * exporting OTLP/HTTP to a local capture server.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from '../../examples/model-server.ts';
import { ensureBuilt, fixtures, repositoryRoot } from './built-package.ts';

interface CapturedSpan {
  name: string;
  spanId: string;
  traceId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

let modelServer: ModelServer;
let captureServer: Server;
let captureUrl: string;
let captured: CapturedSpan[] = [];
let capturedHeaders: Array<Record<string, string | string[] | undefined>> = [];

function attributeMap(list: unknown): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const entry of (list ?? []) as Array<{ key: string; value: Record<string, unknown> }>) {
    const value = entry.value;
    result[entry.key] =
      value['stringValue'] ?? value['intValue'] ?? value['doubleValue'] ?? value['boolValue'] ?? value['arrayValue'];
  }
  return result;
}

beforeAll(async () => {
  ensureBuilt();
  modelServer = await startModelServer();
  captureServer = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    capturedHeaders.push(request.headers);
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: Array<{
          resource: { attributes: unknown };
          scopeSpans: Array<{ spans: Array<Record<string, unknown>> }>;
        }>;
      };
      for (const resourceSpans of body.resourceSpans) {
        const resource = attributeMap(resourceSpans.resource.attributes);
        for (const scopeSpans of resourceSpans.scopeSpans) {
          for (const span of scopeSpans.spans) {
            captured.push({
              name: String(span['name']),
              spanId: String(span['spanId']),
              traceId: String(span['traceId']),
              parentSpanId: typeof span['parentSpanId'] === 'string' ? span['parentSpanId'] : '',
              attributes: attributeMap(span['attributes']),
              resource,
            });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => captureServer.listen(0, '127.0.0.1', resolve));
  captureUrl = `http://127.0.0.1:${(captureServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await modelServer.close();
  await new Promise<void>((resolve) => captureServer.close(() => resolve()));
});

function runAgent(
  flag: '--import' | '--require',
  script: string,
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string }> {
  captured = [];
  capturedHeaders = [];
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
          OTEL_EXPORTER_OTLP_ENDPOINT: captureUrl,
          OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=zero-code',
          OTEL_SERVICE_NAME: 'zero-code-agent',
          OTEL_RESOURCE_ATTRIBUTES: 'agentlightning.rollout_id=ro-zero,agentlightning.attempt_id=at-zero',
          ...env,
        },
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, stderr }),
    );
  });
}

describe('zero-code register entry', () => {
  it('instruments an ESM app (import OpenAI from "openai") run with --import', async () => {
    const { stdout } = await runAgent('--import', 'esm-agent.mjs', { USE_TRAJECTORY_API: '1' });
    expect(JSON.parse(stdout)).toEqual({ text: 'You said: hello from esm', claude: 'You said: hi' });
    expect(captured.map((span) => span.name).sort()).toEqual([
      'agentlightning.annotation',
      'chat esm-claude',
      'chat esm-inner',
      'chat esm-model',
      'invoke_agent esm-agent',
    ]);
    const chat = captured.find((span) => span.name === 'chat esm-model');
    expect(chat?.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.response.id': expect.stringMatching(/^chatcmpl-/) as unknown,
    });
    expect(JSON.parse(String(chat?.attributes['gen_ai.input.messages']))).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'hello from esm' }] },
    ]);
    expect(capturedHeaders[0]?.['x-tenant']).toBe('zero-code');
    expect(chat?.resource).toMatchObject({
      'service.name': 'zero-code-agent',
      'agentlightning.rollout_id': 'ro-zero',
      'agentlightning.attempt_id': 'at-zero',
    });
    const agent = captured.find((span) => span.name === 'invoke_agent esm-agent');
    expect(captured.find((span) => span.name === 'chat esm-inner')?.parentSpanId).toBe(agent?.spanId);
  });

  it('instruments a CommonJS app (require("openai")) run with --require, with the trajectory API from require()', async () => {
    const { stdout } = await runAgent('--require', 'cjs-agent.cjs');
    expect(JSON.parse(stdout)).toEqual({ text: 'You said: hello from cjs' });
    expect(captured.map((span) => span.name).sort()).toEqual([
      'agentlightning.annotation',
      'chat cjs-claude',
      'chat cjs-model',
      'invoke_agent cjs-agent',
    ]);
    expect(new Set(captured.map((span) => span.traceId)).size).toBe(1);
    const claude = captured.find((span) => span.name === 'chat cjs-claude');
    expect(claude?.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.stream': true,
      'gen_ai.usage.output_tokens': 3,
    });
  });

  it('instruments an ESM app run with --require (CommonJS entry, ESM loader hook)', async () => {
    await runAgent('--require', 'esm-agent.mjs');
    expect(captured.map((span) => span.name).sort()).toEqual(['chat esm-claude', 'chat esm-model']);
  });

  it('records no message content with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false', async () => {
    await runAgent('--import', 'esm-agent.mjs', { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'false' });
    const chat = captured.find((span) => span.name === 'chat esm-model');
    expect(chat?.attributes['gen_ai.usage.input_tokens']).toBeDefined();
    expect(chat?.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(chat?.attributes['gen_ai.output.messages']).toBeUndefined();
  });

  it('does nothing but run the app with OTEL_SDK_DISABLED=true', async () => {
    const { stdout } = await runAgent('--import', 'esm-agent.mjs', { OTEL_SDK_DISABLED: 'true' });
    expect(JSON.parse(stdout)).toMatchObject({ text: 'You said: hello from esm' });
    expect(captured).toEqual([]);
  });
});
