/**
 * Test helper: a loopback `node:http` server speaking OpenAI's Responses API (`POST /v1/responses`, JSON and SSE
 * streaming), which is what the OpenAI Agents SDK calls by default. Each request is answered by a script function
 * that sees the request body and returns either text or function calls, so a test can drive an agent through a
 * fixed sequence of turns (call a tool, hand off, answer). Usage is fixed per reply so token counts can be
 * asserted. Every request body is kept for assertions on what the SDK sent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ScriptedReply =
  | { kind: 'text'; text: string }
  | { kind: 'calls'; calls: Array<{ name: string; arguments: Record<string, unknown> }> };

export type ResponsesScript = (body: Record<string, unknown>) => ScriptedReply;

export interface ScriptedResponsesServer {
  /** `http://127.0.0.1:port/v1`: the `baseURL` for the `openai` client. */
  baseURL: string;
  requests: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Usage of every reply: 30 input tokens (4 of them cached), 7 output tokens (2 of them reasoning). */
export const SCRIPTED_USAGE = {
  input_tokens: 30,
  input_tokens_details: { cached_tokens: 4 },
  output_tokens: 7,
  output_tokens_details: { reasoning_tokens: 2 },
  total_tokens: 37,
};

export async function startScriptedResponsesServer(script: ResponsesScript): Promise<ScriptedResponsesServer> {
  const requests: Array<Record<string, unknown>> = [];
  let counter = 0;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      requests.push(body);
      if ((request.url ?? '').split('?')[0] !== '/v1/responses') {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: `no route ${request.url}`, type: 'not_found' } }));
        return;
      }
      const id = ++counter;
      const completed = completedResponse(body, script(body), id);
      if (body['stream'] !== true) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(completed));
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      response.end(streamEvents(completed).join(''));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function completedResponse(body: Record<string, unknown>, reply: ScriptedReply, id: number): Record<string, unknown> {
  const output =
    reply.kind === 'text'
      ? [
          {
            id: `msg_${id}`,
            type: 'message',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text: reply.text, annotations: [], logprobs: [] }],
          },
        ]
      : reply.calls.map((call, index) => ({
          id: `fc_${id}_${index}`,
          type: 'function_call',
          status: 'completed',
          call_id: `call_${id}_${index}`,
          name: call.name,
          arguments: JSON.stringify(call.arguments),
        }));
  return {
    id: `resp_${id}`,
    object: 'response',
    created_at: 1_700_000_000 + id,
    status: 'completed',
    error: null,
    incomplete_details: null,
    instructions: body['instructions'] ?? null,
    model: typeof body['model'] === 'string' ? body['model'] : 'scripted-model',
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    store: false,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: Array.isArray(body['tools']) ? body['tools'] : [],
    top_p: 1,
    truncation: 'disabled',
    metadata: {},
    usage: SCRIPTED_USAGE,
  };
}

/** The SSE events of a response: created, each output item added/delta/done, completed with the whole response. */
function streamEvents(completed: Record<string, unknown>): string[] {
  let sequence = 0;
  const events: string[] = [];
  const emit = (type: string, data: Record<string, unknown>): void => {
    events.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`);
  };
  const inProgress = { ...completed, status: 'in_progress', output: [], usage: null };
  emit('response.created', { response: inProgress });
  emit('response.in_progress', { response: inProgress });
  const items = completed['output'] as Array<Record<string, unknown>>;
  for (const [index, item] of items.entries()) {
    if (item['type'] === 'message') {
      const text = (item['content'] as Array<{ text: string }>)[0]?.text ?? '';
      emit('response.output_item.added', {
        output_index: index,
        item: { ...item, status: 'in_progress', content: [] },
      });
      emit('response.content_part.added', {
        item_id: item['id'],
        output_index: index,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      });
      for (const piece of text.match(/\S+\s*/g) ?? []) {
        emit('response.output_text.delta', {
          item_id: item['id'],
          output_index: index,
          content_index: 0,
          delta: piece,
          logprobs: [],
        });
      }
      emit('response.output_text.done', {
        item_id: item['id'],
        output_index: index,
        content_index: 0,
        text,
        logprobs: [],
      });
    } else {
      emit('response.output_item.added', { output_index: index, item: { ...item, arguments: '' } });
      emit('response.function_call_arguments.delta', {
        item_id: item['id'],
        output_index: index,
        delta: item['arguments'],
      });
      emit('response.function_call_arguments.done', {
        item_id: item['id'],
        output_index: index,
        arguments: item['arguments'],
      });
    }
    emit('response.output_item.done', { output_index: index, item });
  }
  emit('response.completed', { response: completed });
  return events;
}

/**
 * The Agents SDK tests' script: the agent whose instructions mention "triage" calls `calculator` for 17 * 23, then,
 * once a tool result is in its input, hands off with `transfer_to_Math_expert`; any other agent answers in text.
 */
export function triageThenHandOff(body: Record<string, unknown>): ScriptedReply {
  const instructions = typeof body['instructions'] === 'string' ? body['instructions'] : '';
  if (!instructions.includes('triage')) return { kind: 'text', text: '17 * 23 = 391.' };
  const input = Array.isArray(body['input']) ? (body['input'] as Array<Record<string, unknown>>) : [];
  return input.some((item) => item['type'] === 'function_call_output')
    ? { kind: 'calls', calls: [{ name: 'transfer_to_Math_expert', arguments: {} }] }
    : { kind: 'calls', calls: [{ name: 'calculator', arguments: { expression: '17 * 23' } }] };
}
