/**
 * Test helper: one loopback server that speaks the wire protocols the LLM proxy forwards (OpenAI chat completions,
 * responses and completions, Anthropic messages), JSON or server-sent events, with the exact bodies the real SDKs
 * parse. The model name scripts its behaviour: `rate-limited` answers 429 with Retry-After, `slow` waits a second
 * before its headers, `trickle` sends its stream events 150 ms apart, `hang` never answers. It records what it was
 * sent (headers, body) and whether a client went away mid-call.
 */
import { createHash } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCall {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  bodySha256: string;
  /** Set when the connection closed before the answer was finished. */
  aborted: boolean;
}

export interface ProviderServer {
  baseUrl: string;
  calls: ReceivedCall[];
  close(): Promise<void>;
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

export const chatAnswer = 'The weather in Paris is sunny.';

function chatCompletion(model: string) {
  return {
    id: 'chatcmpl-proxy-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [
      {
        index: 0,
        finish_reason: 'tool_calls',
        logprobs: null,
        message: {
          role: 'assistant',
          content: null,
          refusal: null,
          tool_calls: [
            { id: 'call_weather', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
      },
    ],
    usage: { prompt_tokens: 31, completion_tokens: 12, total_tokens: 43 },
  };
}

function chatChunks(model: string) {
  const base = { id: 'chatcmpl-proxy-2', object: 'chat.completion.chunk', created: 1_700_000_000, model };
  const words = chatAnswer.split(/(?<= )/);
  return [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
    ...words.map((word) => ({ ...base, choices: [{ index: 0, delta: { content: word }, finish_reason: null }] })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    { ...base, choices: [], usage: { prompt_tokens: 20, completion_tokens: 7, total_tokens: 27 } },
  ];
}

function responsesAnswer(model: string) {
  return {
    id: 'resp_proxy_1',
    object: 'response',
    created_at: 1_700_000_000,
    status: 'completed',
    model,
    output: [
      {
        type: 'message',
        id: 'msg_1',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: chatAnswer, annotations: [] }],
      },
    ],
    usage: {
      input_tokens: 18,
      output_tokens: 9,
      total_tokens: 27,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens_details: { reasoning_tokens: 0 },
    },
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    error: null,
    incomplete_details: null,
    instructions: null,
    metadata: {},
    temperature: 1,
    top_p: 1,
  };
}

function anthropicMessage(model: string) {
  return {
    id: 'msg_proxy_1',
    type: 'message',
    role: 'assistant',
    model,
    content: [
      { type: 'text', text: 'Let me look that up.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 40, output_tokens: 15, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
  };
}

function anthropicEvents(model: string) {
  const message = {
    ...anthropicMessage(model),
    content: [],
    stop_reason: null,
    usage: { input_tokens: 40, output_tokens: 1 },
  };
  return [
    { type: 'message_start', message },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'The weather in ' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Paris is sunny.' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 9 } },
    { type: 'message_stop' },
  ];
}

export async function startProviderServer(): Promise<ProviderServer> {
  const calls: ReceivedCall[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        // Not JSON: the call is recorded with an empty body.
      }
      const call: ReceivedCall = {
        path: request.url ?? '',
        headers: request.headers,
        body,
        bodySha256: createHash('sha256').update(raw).digest('hex'),
        aborted: false,
      };
      calls.push(call);
      response.on('close', () => {
        if (!response.writableFinished) call.aborted = true;
      });
      void answer(call, response);
    });
  });

  async function answer(call: ReceivedCall, response: http.ServerResponse): Promise<void> {
    const model = typeof call.body['model'] === 'string' ? call.body['model'] : 'unknown';
    const stream = call.body['stream'] === true;
    const anthropic = call.path.startsWith('/v1/messages');
    if (model === 'hang') return;
    if (model === 'slow') await sleep(1000);
    if (response.destroyed) return;
    if (model === 'rate-limited') {
      const body = anthropic
        ? { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }
        : {
            error: {
              message: 'Rate limit reached for requests',
              type: 'requests',
              param: null,
              code: 'rate_limit_exceeded',
            },
          };
      response.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '7', 'x-request-id': 'req_429' });
      response.end(JSON.stringify(body));
      return;
    }
    const json = (body: unknown) => {
      const text = JSON.stringify(body);
      response.writeHead(200, { 'Content-Type': 'application/json', 'x-request-id': 'req_ok' });
      response.end(text);
    };
    const events = async (items: Array<{ event?: string; data: unknown }>, done: boolean) => {
      response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      for (const item of items) {
        if (response.destroyed) return;
        response.write(`${item.event ? `event: ${item.event}\n` : ''}data: ${JSON.stringify(item.data)}\n\n`);
        if (model === 'trickle') await sleep(150);
      }
      if (done) response.write('data: [DONE]\n\n');
      response.end();
    };
    if (call.path.startsWith('/v1/chat/completions')) {
      if (!stream) return json(chatCompletion(model));
      return events(
        chatChunks(model).map((data) => ({ data })),
        true,
      );
    }
    if (call.path.startsWith('/v1/responses')) {
      const final = responsesAnswer(model);
      if (!stream) return json(final);
      const created = { ...final, status: 'in_progress', output: [], usage: null };
      return events(
        [
          { event: 'response.created', data: { type: 'response.created', sequence_number: 0, response: created } },
          {
            event: 'response.output_text.delta',
            data: {
              type: 'response.output_text.delta',
              sequence_number: 1,
              item_id: 'msg_1',
              output_index: 0,
              content_index: 0,
              delta: chatAnswer,
              logprobs: [],
            },
          },
          { event: 'response.completed', data: { type: 'response.completed', sequence_number: 2, response: final } },
        ],
        false,
      );
    }
    if (call.path.startsWith('/v1/completions')) {
      const completion = {
        id: 'cmpl-proxy-1',
        object: 'text_completion',
        created: 1_700_000_000,
        model,
        choices: [{ index: 0, text: ' sunny.', finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
      };
      return json(completion);
    }
    if (anthropic) {
      if (!stream) return json(anthropicMessage(model));
      return events(
        anthropicEvents(model).map((data) => ({ event: data.type, data })),
        false,
      );
    }
    response.writeHead(404, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ error: { message: `no route ${call.path}` } }));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
