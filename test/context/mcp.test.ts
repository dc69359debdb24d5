/**
 * The context-learning MCP tools through the SDK's real client, over both transports: streamable HTTP at the
 * receiver's `/mcp` (bearer token in the request headers) and stdio, spawning `trajectories mcp` pointed at the
 * same receiver. Both read the same stored history, so both must answer the same ids.
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  examplesResponseSchema,
  failuresResponseSchema,
  predictResponseSchema,
  searchResponseSchema,
  toolsResponseSchema,
} from '../../src/context/context-api.ts';
import { startContextFixture, teamARuns, tokenA, type ContextFixture } from './context-fixture.ts';

const repository = join(import.meta.dirname, '../..');
const toolNames = [
  'analyze_failure_patterns',
  'get_successful_examples',
  'predict_outcome',
  'recommend_tools',
  'search_trajectories',
];
const berlin = teamARuns[0]!.task;
const rome = teamARuns[1]!.task;

let fixture: ContextFixture;
const clients: Client[] = [];

async function httpClient(token: string | null = tokenA): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${fixture.receiver.httpUrl}/mcp`), {
    requestInit: { headers: token ? { authorization: `Bearer ${token}` } : {} },
  });
  const client = new Client({ name: 'context-test', version: '1.0.0' });
  clients.push(client);
  await client.connect(transport);
  return client;
}

async function stdioClient(token: string): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['bin/trajectories.mjs', 'mcp', '--receiver', fixture.receiver.httpUrl, '--token', token],
    cwd: repository,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'context-test', version: '1.0.0' });
  clients.push(client);
  await client.connect(transport);
  return client;
}

beforeAll(async () => {
  fixture = await startContextFixture();
}, 120_000);

afterAll(async () => {
  for (const client of clients) await client.close();
  await fixture?.receiver.close();
});

function textOf(result: unknown): string {
  const { content } = result as CallToolResult;
  return content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
}

const transports: Array<[string, () => Promise<Client>]> = [
  ['streamable HTTP', () => httpClient()],
  ['stdio (trajectories mcp)', () => stdioClient(tokenA)],
];

describe.each(transports)('MCP over %s', (_name, connect) => {
  let client: Client;
  beforeAll(async () => {
    client = await connect();
  }, 60_000);

  it('lists the five tools with descriptions and the contract’s argument schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(toolNames);
    for (const tool of tools) {
      expect(tool.description?.length).toBeGreaterThan(80);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
    }
    const examples = tools.find((tool) => tool.name === 'get_successful_examples')!;
    expect(examples.inputSchema.required).toEqual(['task']);
    expect(Object.keys(examples.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['task', 'agent', 'task_id', 'min_reward', 'limit', 'max_tokens']),
    );
    expect(examples.inputSchema.additionalProperties).toBe(false);
  });

  it('search_trajectories answers the similar successful runs with their ids', async () => {
    const result = await client.callTool({ name: 'search_trajectories', arguments: { q: 'book a flight to Berlin' } });
    expect(result.isError).toBeFalsy();
    const body = searchResponseSchema.parse(result.structuredContent);
    expect(body.trajectories[0]!.trajectory_id).toBe(fixture.idOf(berlin));
    expect(textOf(result)).toContain(fixture.idOf(berlin));
  });

  it('get_successful_examples answers the rendered examples with their ids', async () => {
    const result = await client.callTool({
      name: 'get_successful_examples',
      arguments: { task: 'Book a flight from Paris to Berlin', limit: 2 },
    });
    expect(result.isError).toBeFalsy();
    const body = examplesResponseSchema.parse(result.structuredContent);
    expect(body.examples[0]!.trajectory_id).toBe(fixture.idOf(berlin));
    expect(textOf(result)).toContain(body.prompt);
    expect(textOf(result)).toContain(fixture.idOf(berlin));
  });

  it('analyze_failure_patterns names the failing tool with the failed run', async () => {
    const result = await client.callTool({ name: 'analyze_failure_patterns', arguments: { agent: 'planner' } });
    expect(result.isError).toBeFalsy();
    const body = failuresResponseSchema.parse(result.structuredContent);
    expect(body.tool_errors.find((pattern) => pattern.tool === 'book_flight')?.example_trajectory_ids).toEqual([
      fixture.idOf(rome),
    ]);
    expect(textOf(result)).toBe(body.text);
  });

  it('recommend_tools ranks the agent’s tools', async () => {
    const result = await client.callTool({ name: 'recommend_tools', arguments: { agent: 'planner', limit: 10 } });
    expect(result.isError).toBeFalsy();
    const body = toolsResponseSchema.parse(result.structuredContent);
    expect(body.tools.map((record) => record.name)).toContain('search_flights');
    expect(textOf(result)).toBe(body.text);
  });

  it('predict_outcome estimates a candidate action from similar decision points', async () => {
    const result = await client.callTool({
      name: 'predict_outcome',
      arguments: {
        messages: [{ role: 'user', content: 'Book a flight from Paris to Berlin next Monday' }],
        action: { type: 'tool_call', name: 'search_flights' },
        agent: 'planner',
      },
    });
    expect(result.isError).toBeFalsy();
    const body = predictResponseSchema.parse(result.structuredContent);
    expect(body.prediction.action).toBe('search_flights');
    expect(body.prediction.support).toBeGreaterThan(0);
  });

  it('answers an unknown tool with an error naming it', async () => {
    const result = await client.callTool({ name: 'book_a_holiday', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Tool book_a_holiday not found/);
  });

  it('answers bad arguments with an error naming the field', async () => {
    const tooMany = await client.callTool({
      name: 'get_successful_examples',
      arguments: { task: 'Book a flight', limit: 500 },
    });
    expect(tooMany.isError).toBe(true);
    expect(textOf(tooMany)).toMatch(/limit/);
    const noScope = await client.callTool({ name: 'analyze_failure_patterns', arguments: {} });
    expect(noScope.isError).toBe(true);
    expect(textOf(noScope)).toMatch(/give at least one of agent, task_id or task/);
    const unknownField = await client.callTool({ name: 'recommend_tools', arguments: { agent: 'planner', colour: 1 } });
    expect(unknownField.isError).toBe(true);
    expect(textOf(unknownField)).toMatch(/colour/);
    // The schema says integer: an array holding one is not one (z.coerce used to take it).
    const arrayLimit = await client.callTool({ name: 'search_trajectories', arguments: { q: 'flight', limit: [1] } });
    expect(arrayLimit.isError).toBe(true);
    expect(textOf(arrayLimit)).toMatch(/limit/);
  });
});

describe('MCP authentication and HTTP rules', () => {
  it('refuses a client without a bearer token with 401', async () => {
    const refused = await httpClient(null).then(
      () => undefined,
      (error: unknown) => error as { code?: number; message: string },
    );
    expect(refused?.code).toBe(401);
    expect(refused?.message).toMatch(/missing bearer token/);
  });

  it('answers GET and DELETE with 405 (stateless: no stream or session to serve)', async () => {
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(`${fixture.receiver.httpUrl}/mcp`, {
        method,
        headers: { authorization: `Bearer ${tokenA}`, accept: 'text/event-stream' },
      });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
    }
  });

  it('takes the heavy-read slots the HTTP routes take: a batch beyond slots and queue is told to retry later', async () => {
    // 2 slots and 16 waiting (the receiver's defaults): of 20 analyses sent at once, 2 cannot even wait.
    const batch = Array.from({ length: 20 }, (_, index) => ({
      jsonrpc: '2.0',
      id: index + 1,
      method: 'tools/call',
      params: { name: 'recommend_tools', arguments: { agent: 'planner' } },
    }));
    const response = await fetch(`${fixture.receiver.httpUrl}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokenA}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify(batch),
    });
    expect(response.status).toBe(200);
    const answers = (await response.json()) as Array<{
      result: { isError?: boolean; content: Array<{ text: string }> };
    }>;
    expect(answers).toHaveLength(20);
    const refused = answers.filter((answer) => answer.result.isError);
    expect(refused).toHaveLength(2);
    for (const answer of refused)
      expect(answer.result.content[0]?.text).toMatch(/recommend_tools failed: .*large reads are running.*retry later/);
  });

  it('keeps the browser guards: JSON bodies only', async () => {
    const response = await fetch(`${fixture.receiver.httpUrl}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokenA}`, 'content-type': 'text/plain', accept: 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(415);
  });

  it('stdio: a token the receiver refuses makes each tool answer an error naming the fix', async () => {
    const client = await stdioClient('not-a-token');
    const result = await client.callTool({ name: 'search_trajectories', arguments: { q: 'book a flight' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/refused the token \(401\): pass --token or TRAJECTORIES_TOKEN/);
  }, 60_000);
});
