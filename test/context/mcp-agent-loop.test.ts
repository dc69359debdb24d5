/**
 * A real agent loop using the context tools: the `openai` client talks to a local model server speaking the
 * chat-completions wire protocol, the loop offers the receiver's MCP tools (listed through the SDK client over
 * streamable HTTP) as OpenAI tools, runs the tool calls the model asks for through MCP and sends the results back.
 * The scripted model first asks for successful examples of its task, then answers; what it received is recorded,
 * so the test sees the stored trajectory's id arrive in the model's context.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startContextFixture, teamARuns, tokenA, type ContextFixture } from './context-fixture.ts';

interface ChatRequest {
  messages: Array<{ role: string; content?: string | null; tool_call_id?: string }>;
  tools?: Array<{ function: { name: string } }>;
}

const received: ChatRequest[] = [];
let modelServer: http.Server;
let fixture: ContextFixture;
let mcp: Client;

function completion(message: Record<string, unknown>, finishReason: string): string {
  return JSON.stringify({
    id: `chatcmpl-${received.length}`,
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'scripted-model',
    choices: [{ index: 0, finish_reason: finishReason, message: { role: 'assistant', content: null, ...message } }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  });
}

/** Asks for examples of the user's task while it has none, then answers citing what the tool returned. */
function scriptedReply(request: ChatRequest): string {
  const toolResult = request.messages.find((message) => message.role === 'tool');
  if (!toolResult) {
    const task = request.messages.find((message) => message.role === 'user')?.content ?? '';
    const toolCall = {
      id: 'call_examples',
      type: 'function',
      function: { name: 'get_successful_examples', arguments: JSON.stringify({ task, limit: 2 }) },
    };
    return completion({ tool_calls: [toolCall] }, 'tool_calls');
  }
  return completion({ content: 'Following the earlier booking: search flights first, then book.' }, 'stop');
}

beforeAll(async () => {
  modelServer = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const chatRequest = JSON.parse(body) as ChatRequest;
      received.push(chatRequest);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(scriptedReply(chatRequest));
    });
  });
  await new Promise<void>((resolve) => modelServer.listen(0, '127.0.0.1', resolve));
  fixture = await startContextFixture();
  mcp = new Client({ name: 'agent-loop', version: '1.0.0' });
  await mcp.connect(
    new StreamableHTTPClientTransport(new URL(`${fixture.receiver.httpUrl}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${tokenA}` } },
    }),
  );
}, 120_000);

afterAll(async () => {
  await mcp?.close();
  await fixture?.receiver.close();
  await new Promise((resolve) => modelServer?.close(resolve));
});

it('an agent asks for examples through MCP and gets the stored trajectory into its context', async () => {
  const { port } = modelServer.address() as AddressInfo;
  const openai = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'local' });
  const tools: ChatCompletionTool[] = (await mcp.listTools()).tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description ?? '', parameters: tool.inputSchema },
  }));
  const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Book a flight from Paris to Berlin' }];

  let answer: string | null = null;
  for (let step = 0; step < 5 && answer === null; step++) {
    const reply = (await openai.chat.completions.create({ model: 'scripted-model', messages, tools })).choices[0]!;
    messages.push(reply.message);
    if (!reply.message.tool_calls?.length) {
      answer = reply.message.content;
      break;
    }
    for (const call of reply.message.tool_calls) {
      if (call.type !== 'function') continue;
      const result = (await mcp.callTool({
        name: call.function.name,
        arguments: JSON.parse(call.function.arguments) as Record<string, unknown>,
      })) as CallToolResult;
      const text = result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
      messages.push({ role: 'tool', tool_call_id: call.id, content: text });
    }
  }

  expect(answer).toBe('Following the earlier booking: search flights first, then book.');
  expect(received[0]!.tools?.map((tool) => tool.function.name)).toContain('get_successful_examples');
  const toolMessage = received[1]!.messages.find((message) => message.role === 'tool');
  expect(toolMessage?.tool_call_id).toBe('call_examples');
  expect(toolMessage?.content).toContain(fixture.idOf(teamARuns[0]!.task));
  expect(toolMessage?.content).toContain('book_flight');
});
