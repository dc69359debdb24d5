/**
 * A local model server speaking the wire protocols of OpenAI Chat Completions, OpenAI Responses and Anthropic
 * Messages (JSON and SSE streaming, tool calls), with a tiny deterministic policy, so the real `openai` and
 * `@anthropic-ai/sdk` clients can run agent loops without a network. Shared by the tests, the demo and the benchmark.
 *
 * Policy: when the last message carries tool results, answer with text built from them; when tools are offered,
 * call every tool named in the user's text (in parallel) or else the first tool; otherwise echo the user.
 * `tool_choice: "none"` (Chat Completions, Responses) or `{"type": "none"}` (Anthropic) means no tool is called,
 * as the real APIs define it.
 * A model name containing `error-400` gets a 400 error; `fail-mid-stream` streams a little and then an error event.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ModelServer {
  /** `http://host:port`: Anthropic's `baseURL`. */
  url: string;
  /** `http://host:port/v1`: OpenAI's `baseURL`. */
  openaiBaseUrl: string;
  /** Every request body received, in order. */
  requests: Array<{ path: string; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export interface ModelServerOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

interface ToolSpec {
  name: string;
  parameters: Record<string, unknown>;
}

interface PlannedToolCall {
  id: string;
  name: string;
  arguments: string;
}

interface Plan {
  text: string;
  toolCalls: PlannedToolCall[];
  inputTokens: number;
  outputTokens: number;
}

type Json = Record<string, unknown>;

export async function startModelServer(options: ModelServerOptions = {}): Promise<ModelServer> {
  const requests: ModelServer['requests'] = [];
  let counter = 0;
  const nextId = (): number => ++counter;
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: String(error), type: 'server_error' } }));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const body = request.method === 'POST' ? ((await readJson(request)) as Json) : {};
    requests.push({ path, body });
    const model = typeof body['model'] === 'string' ? body['model'] : 'test-model';
    if (path === '/v1/chat/completions') {
      if (model.includes('error-400'))
        return sendJson(response, 400, {
          error: {
            message: `The model '${model}' does not exist`,
            type: 'invalid_request_error',
            param: 'model',
            code: 'model_not_found',
          },
        });
      return chatCompletions(body, model, response, nextId());
    }
    if (path === '/v1/responses') {
      if (model.includes('error-400'))
        return sendJson(response, 400, {
          error: {
            message: `The model '${model}' does not exist`,
            type: 'invalid_request_error',
            param: 'model',
            code: 'model_not_found',
          },
        });
      return responses(body, model, response, nextId());
    }
    if (path === '/v1/messages') {
      if (model.includes('error-400'))
        return sendJson(response, 400, {
          type: 'error',
          error: { type: 'invalid_request_error', message: `model: ${model} not found` },
        });
      return anthropicMessages(body, model, response, nextId());
    }
    sendJson(response, 404, { error: { message: `no route ${path}`, type: 'not_found' } });
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;
  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------- OpenAI Chat Completions

function chatCompletions(body: Json, model: string, response: ServerResponse, id: number): void {
  const messages = asArray(body['messages']).filter(isJson);
  const last = messages[messages.length - 1];
  const userText = lastText(
    messages.filter((message) => message['role'] === 'user').map((message) => message['content']),
  );
  const toolResults =
    last?.['role'] === 'tool'
      ? trailing(messages, (message) => message['role'] === 'tool').map((message) => textOf(message['content']))
      : [];
  const tools = callableTools(body).map((tool) => {
    const fn = isJson(tool['function']) ? tool['function'] : {};
    return { name: stringOf(fn['name']), parameters: isJson(fn['parameters']) ? fn['parameters'] : {} };
  });
  const plan = decide(
    userText,
    toolResults,
    tools,
    countWords(messages.map((message) => textOf(message['content']))),
    id,
  );
  const responseId = `chatcmpl-${id}`;
  const created = 1_700_000_000 + id;
  const finishReason = plan.toolCalls.length > 0 ? 'tool_calls' : 'stop';
  const usage = {
    prompt_tokens: plan.inputTokens,
    completion_tokens: plan.outputTokens,
    total_tokens: plan.inputTokens + plan.outputTokens,
    prompt_tokens_details: { cached_tokens: Math.min(4, plan.inputTokens), audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 2,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
  if (body['stream'] !== true) {
    const message: Json = {
      role: 'assistant',
      content: plan.toolCalls.length > 0 ? null : plan.text,
      refusal: null,
      annotations: [],
    };
    if (plan.toolCalls.length > 0)
      message['tool_calls'] = plan.toolCalls.map((call) => ({
        id: call.id,
        type: 'function',
        function: { name: call.name, arguments: call.arguments },
      }));
    return sendJson(response, 200, {
      id: responseId,
      object: 'chat.completion',
      created,
      model,
      system_fingerprint: 'fp_local',
      choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
      usage,
    });
  }
  const includeUsage = isJson(body['stream_options']) && body['stream_options']['include_usage'] === true;
  const chunk = (choices: unknown[], extra: Json = {}): Json => ({
    id: responseId,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: 'fp_local',
    choices,
    ...(includeUsage ? { usage: null } : {}),
    ...extra,
  });
  const events: string[] = [];
  events.push(
    sseData(
      chunk([
        { index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null },
      ]),
    ),
  );
  if (model.includes('fail-mid-stream')) {
    events.push(sseData(chunk([{ index: 0, delta: { content: 'Partial ' }, logprobs: null, finish_reason: null }])));
    events.push(
      sseData({
        error: {
          message: 'The server had an error while processing your request.',
          type: 'server_error',
          param: null,
          code: null,
        },
      }),
    );
    return sendSse(response, events);
  }
  if (plan.toolCalls.length === 0) {
    for (const piece of splitText(plan.text))
      events.push(sseData(chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }])));
  }
  plan.toolCalls.forEach((call, index) => {
    events.push(
      sseData(
        chunk([
          {
            index: 0,
            delta: {
              tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
            },
            logprobs: null,
            finish_reason: null,
          },
        ]),
      ),
    );
    for (const piece of splitArguments(call.arguments)) {
      events.push(
        sseData(
          chunk([
            {
              index: 0,
              delta: { tool_calls: [{ index, function: { arguments: piece } }] },
              logprobs: null,
              finish_reason: null,
            },
          ]),
        ),
      );
    }
  });
  events.push(sseData(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason }])));
  if (includeUsage) events.push(sseData(chunk([], { usage })));
  events.push('data: [DONE]\n\n');
  sendSse(response, events);
}

// ---------------------------------------------------------------- OpenAI Responses

function responses(body: Json, model: string, response: ServerResponse, id: number): void {
  const input =
    typeof body['input'] === 'string'
      ? [{ role: 'user', content: body['input'] }]
      : asArray(body['input']).filter(isJson);
  const userTexts = input.filter((item) => item['role'] === 'user').map((item) => item['content']);
  const last = input[input.length - 1];
  const toolResults =
    last?.['type'] === 'function_call_output'
      ? trailing(input, (item) => item['type'] === 'function_call_output').map((item) => textOf(item['output']))
      : [];
  const tools = callableTools(body)
    .filter((tool) => tool['type'] === 'function')
    .map((tool) => ({
      name: stringOf(tool['name']),
      parameters: isJson(tool['parameters']) ? tool['parameters'] : {},
    }));
  const plan = decide(
    lastText(userTexts),
    toolResults,
    tools,
    countWords(input.map((item) => textOf(item['content'] ?? item['output']))) +
      wordCount(stringOf(body['instructions'])),
    id,
  );
  const responseId = `resp_${id}`;
  const messageItem = {
    id: `msg_${id}`,
    type: 'message',
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text: plan.text, annotations: [], logprobs: [] }],
  };
  const functionItems = plan.toolCalls.map((call, index) => ({
    id: `fc_${id}_${index}`,
    type: 'function_call',
    status: 'completed',
    call_id: call.id,
    name: call.name,
    arguments: call.arguments,
  }));
  const output = plan.toolCalls.length > 0 ? functionItems : [messageItem];
  const base = {
    id: responseId,
    object: 'response',
    created_at: 1_700_000_000 + id,
    error: null,
    incomplete_details: null,
    instructions: body['instructions'] ?? null,
    max_output_tokens: body['max_output_tokens'] ?? null,
    model,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: asArray(body['tools']),
    top_p: 1,
    truncation: 'disabled',
    metadata: {},
  };
  const usage = {
    input_tokens: plan.inputTokens,
    input_tokens_details: { cached_tokens: Math.min(4, plan.inputTokens) },
    output_tokens: plan.outputTokens,
    output_tokens_details: { reasoning_tokens: 2 },
    total_tokens: plan.inputTokens + plan.outputTokens,
  };
  const completed = { ...base, status: 'completed', output, usage };
  if (body['stream'] !== true) return sendJson(response, 200, completed);

  let sequence = 0;
  const events: string[] = [];
  const emit = (type: string, data: Json): void => {
    events.push(sseEvent(type, { type, sequence_number: sequence++, ...data }));
  };
  const inProgress = { ...base, status: 'in_progress', output: [], usage: null };
  emit('response.created', { response: inProgress });
  emit('response.in_progress', { response: inProgress });
  if (plan.toolCalls.length === 0) {
    const itemId = messageItem.id;
    emit('response.output_item.added', {
      output_index: 0,
      item: { ...messageItem, status: 'in_progress', content: [] },
    });
    emit('response.content_part.added', {
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
    });
    const pieces = splitText(plan.text);
    for (const [index, piece] of pieces.entries()) {
      emit('response.output_text.delta', {
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        delta: piece,
        logprobs: [],
      });
      if (index === 0 && model.includes('fail-mid-stream')) {
        events.push(
          sseEvent('error', {
            type: 'error',
            sequence_number: sequence++,
            code: 'server_error',
            message: 'The server had an error while processing your request.',
            param: null,
          }),
        );
        return sendSse(response, events);
      }
    }
    emit('response.output_text.done', {
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      text: plan.text,
      logprobs: [],
    });
    emit('response.content_part.done', {
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: messageItem.content[0],
    });
    emit('response.output_item.done', { output_index: 0, item: messageItem });
  }
  functionItems.forEach((item, outputIndex) => {
    emit('response.output_item.added', {
      output_index: outputIndex,
      item: { ...item, status: 'in_progress', arguments: '' },
    });
    for (const piece of splitArguments(item.arguments))
      emit('response.function_call_arguments.delta', { item_id: item.id, output_index: outputIndex, delta: piece });
    emit('response.function_call_arguments.done', {
      item_id: item.id,
      output_index: outputIndex,
      name: item.name,
      arguments: item.arguments,
    });
    emit('response.output_item.done', { output_index: outputIndex, item });
  });
  emit('response.completed', { response: completed });
  sendSse(response, events);
}

// ---------------------------------------------------------------- Anthropic Messages

function anthropicMessages(body: Json, model: string, response: ServerResponse, id: number): void {
  const messages = asArray(body['messages']).filter(isJson);
  const last = messages[messages.length - 1];
  const blocksOf = (message: Json | undefined): Json[] =>
    message && Array.isArray(message['content']) ? message['content'].filter(isJson) : [];
  const toolResults = blocksOf(last)
    .filter((block) => block['type'] === 'tool_result')
    .map((block) => textOf(block['content']));
  const userTexts = messages
    .filter((message) => message['role'] === 'user')
    .map((message) =>
      typeof message['content'] === 'string'
        ? message['content']
        : blocksOf(message)
            .filter((block) => block['type'] === 'text')
            .map((block) => stringOf(block['text']))
            .join(' '),
    )
    .filter((text) => text !== '');
  const tools = callableTools(body).map((tool) => ({
    name: stringOf(tool['name']),
    parameters: isJson(tool['input_schema']) ? tool['input_schema'] : {},
  }));
  const systemWords = typeof body['system'] === 'string' ? wordCount(body['system']) : 0;
  const plan = decide(
    lastText(userTexts),
    toolResults,
    tools,
    countWords(messages.map((message) => textOf(message['content']))) + systemWords,
    id,
    'toolu',
  );
  const content: Json[] = [];
  if (plan.toolCalls.length > 0) {
    content.push({ type: 'text', text: 'Let me use a tool.' });
    for (const call of plan.toolCalls)
      content.push({ type: 'tool_use', id: call.id, name: call.name, input: JSON.parse(call.arguments) as unknown });
  } else {
    content.push({ type: 'text', text: plan.text });
  }
  const stopReason = plan.toolCalls.length > 0 ? 'tool_use' : 'end_turn';
  const usage = {
    input_tokens: plan.inputTokens,
    cache_creation_input_tokens: 2,
    cache_read_input_tokens: 3,
    output_tokens: plan.outputTokens,
  };
  const message = {
    id: `msg_${id}`,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage,
  };
  if (body['stream'] !== true) return sendJson(response, 200, message);

  const events: string[] = [];
  const emit = (type: string, data: Json): void => {
    events.push(sseEvent(type, { type, ...data }));
  };
  emit('message_start', {
    message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } },
  });
  events.push(sseEvent('ping', { type: 'ping' }));
  for (const [index, block] of content.entries()) {
    if (block['type'] === 'text') {
      emit('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const piece of splitText(String(block['text']))) {
        emit('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
        if (model.includes('fail-mid-stream')) {
          emit('error', { error: { type: 'overloaded_error', message: 'Overloaded' } });
          return sendSse(response, events);
        }
      }
    } else {
      emit('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: block['id'], name: block['name'], input: {} },
      });
      for (const piece of splitArguments(JSON.stringify(block['input'])))
        emit('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } });
    }
    emit('content_block_stop', { index });
  }
  emit('message_delta', {
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: plan.outputTokens },
  });
  emit('message_stop', {});
  sendSse(response, events);
}

// ---------------------------------------------------------------- policy and helpers

function decide(
  userText: string,
  toolResults: string[],
  tools: ToolSpec[],
  inputWords: number,
  id: number,
  idPrefix = 'call',
): Plan {
  const inputTokens = inputWords + 10;
  if (toolResults.length > 0) {
    const text = `The answer is ${toolResults.join(' and ')}.`;
    return { text, toolCalls: [], inputTokens, outputTokens: wordCount(text) };
  }
  if (tools.length > 0) {
    const named = tools.filter((tool) => userText.toLowerCase().includes(tool.name.toLowerCase()));
    const chosen = named.length > 0 ? named : tools.slice(0, 1);
    const toolCalls = chosen.map((tool, index) => ({
      id: `${idPrefix}_${id}_${index}`,
      name: tool.name,
      arguments: JSON.stringify(argumentsFor(tool, userText)),
    }));
    return { text: '', toolCalls, inputTokens, outputTokens: 5 * toolCalls.length };
  }
  const text = userText ? `You said: ${userText}` : 'Hello!';
  return { text, toolCalls: [], inputTokens, outputTokens: wordCount(text) };
}

function argumentsFor(tool: ToolSpec, userText: string): Json {
  const properties = isJson(tool.parameters['properties']) ? tool.parameters['properties'] : {};
  const expression = /[\d(][\d\s+\-*/().]*[\d)]/.exec(userText)?.[0]?.trim();
  const args: Json = {};
  for (const name of Object.keys(properties)) args[name] = name === 'expression' && expression ? expression : userText;
  return args;
}

function readJson(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve(text ? JSON.parse(text) : {});
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': `req_${Date.now()}`,
  });
  response.end(text);
}

function sendSse(response: ServerResponse, events: string[]): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  for (const event of events) response.write(event);
  response.end();
}

const sseData = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;
const sseEvent = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

function splitText(text: string): string[] {
  const words = text.split(/(?<= )/);
  const size = Math.max(1, Math.ceil(words.length / 3));
  const pieces: string[] = [];
  for (let index = 0; index < words.length; index += size) pieces.push(words.slice(index, index + size).join(''));
  return pieces.length > 0 ? pieces : [''];
}

function splitArguments(text: string): string[] {
  const middle = Math.ceil(text.length / 2);
  return [text.slice(0, middle), text.slice(middle)].filter((piece) => piece !== '');
}

/** The tools the model may call: none when the request's tool_choice rules tools out. */
function callableTools(body: Json): Json[] {
  const choice = body['tool_choice'];
  if (choice === 'none' || (isJson(choice) && choice['type'] === 'none')) return [];
  return asArray(body['tools']).filter(isJson);
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function trailing<T>(items: T[], matches: (item: T) => boolean): T[] {
  const result: T[] = [];
  for (let index = items.length - 1; index >= 0 && matches(items[index] as T); index--)
    result.unshift(items[index] as T);
  return result;
}

/** A field the protocol defines as text; anything else (absent, a number, an object) counts as no text. */
function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The text of a message's content: a string, or the text of each part of a content array. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((part) => (isJson(part) ? textOf(part['text'] ?? part['content']) : '')).join(' ');
  return '';
}

function lastText(contents: unknown[]): string {
  return textOf(contents[contents.length - 1]);
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter((word) => word !== '').length;
}

function countWords(texts: string[]): number {
  return texts.reduce((sum, text) => sum + wordCount(text), 0);
}
