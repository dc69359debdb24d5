/**
 * Test helper: a loopback `node:http` server speaking just enough of OpenAI's chat-completions wire protocol for
 * the real `openai` client (and the instrumentations wrapped around it) to complete a call that returns two
 * parallel tool calls with usage details.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const CHAT_COMPLETION_RESPONSE = {
  id: 'chatcmpl-test-1',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    {
      index: 0,
      finish_reason: 'tool_calls',
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_rome', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
    },
  ],
  usage: {
    prompt_tokens: 50,
    completion_tokens: 20,
    total_tokens: 70,
    prompt_tokens_details: { cached_tokens: 10 },
    completion_tokens_details: { reasoning_tokens: 5 },
  },
};

export interface ChatServer {
  baseURL: string;
  close(): Promise<void>;
}

export async function startChatCompletionsServer(): Promise<ChatServer> {
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(CHAT_COMPLETION_RESPONSE));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The conversation every instrumented call sends: system prompt, user turn, an earlier tool call and its result. */
export const CONVERSATION = [
  { role: 'system' as const, content: 'You are a weather assistant.' },
  { role: 'user' as const, content: 'Weather in Oslo, Paris and Rome?' },
  {
    role: 'assistant' as const,
    content: null,
    tool_calls: [
      { id: 'call_oslo', type: 'function' as const, function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
    ],
  },
  { role: 'tool' as const, tool_call_id: 'call_oslo', content: '{"temperature":3}' },
];

export const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
