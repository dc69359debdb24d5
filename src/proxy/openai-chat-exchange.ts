/**
 * OpenAI Chat Completions (`POST /v1/chat/completions`, JSON and `stream: true`) as GenAI span attributes. The
 * request's messages become `gen_ai.input.messages` with system and developer messages kept in the history (as
 * the conventions ask for chat APIs): content strings and parts (text, refusal, image_url as `uri` or `blob`,
 * input_audio and file as `blob` / `file` parts), assistant `tool_calls` and the legacy `function_call`, `tool`
 * and legacy `function` results as `tool_call_response` parts. `tools` (or the legacy `functions`) are recorded as
 * given in OpenAI's tools shape. Every choice becomes an output message, with `reasoning_content` (vLLM, DeepSeek)
 * as a reasoning part; a stream is rebuilt from its chunks the way the OpenAI SDK's `ChatCompletionStream` does
 * (content, refusal and reasoning deltas appended, tool calls by index with their names set and arguments
 * appended), with usage from the final chunk when the request asked for it (`stream_options.include_usage`).
 */
import { z } from 'zod';
import { toJsonText } from '../conventions/attributes.ts';
import type { Attributes } from '../model/otlp.ts';
import {
  messagesJson,
  setDefined,
  textPart,
  urlPart,
  usageAttributes,
  type GenAiMessage,
  type MediaPart,
  type MessagePart,
  type TokenCounts,
} from './genai-parts.ts';
import { providerError, type ProtocolReader, type ProviderError, type ResponseReading } from './protocol-reader.ts';
import type { ParsedEventStream } from './server-sent-events.ts';
import {
  MAX_ITEMS,
  finiteNumber,
  items,
  nested,
  nonEmptyText,
  parseJsonBody,
  record,
  records,
  text,
  texts,
  tokenCount,
  toolArguments,
} from './untrusted-values.ts';

export const openAiChatReader: ProtocolReader = {
  operation: 'chat',
  provider: 'openai',
  readRequest(request) {
    const attributes: Attributes = { 'openai.api.type': 'chat_completions', ...openAiRequestParameters(request) };
    if (Array.isArray(request['messages'])) {
      const messages = items(request['messages']).flatMap((message) => chatInputMessage(message) ?? []);
      attributes['gen_ai.input.messages'] = messagesJson(messages);
    }
    const tools = chatToolDefinitions(request);
    if (tools.length > 0) attributes['gen_ai.tool.definitions'] = toJsonText(tools);
    return attributes;
  },
  readResponse(body) {
    const attributes = responseMetadata(body);
    const choices = records(body['choices']);
    const error = choices.length === 0 ? providerError(body) : undefined;
    const reasons = choices.map((choice) => text(choice['finish_reason']) ?? '');
    if (reasons.some((reason) => reason !== '')) attributes['gen_ai.response.finish_reasons'] = reasons;
    Object.assign(attributes, usageAttributes(chatUsageCounts(body['usage'])));
    if (choices.length > 0)
      attributes['gen_ai.output.messages'] = messagesJson(
        choices.map((choice) => outputMessage(record(choice['message']) ?? {}, text(choice['finish_reason']))),
      );
    return error === undefined ? { attributes, ended: true } : { attributes, ended: true, error };
  },
  readStream: readChatStream,
};

/**
 * Request parameters Chat Completions, Completions and Responses share (`max_output_tokens` is the Responses
 * name, `max_completion_tokens` the current Chat name).
 */
export function openAiRequestParameters(request: Record<string, unknown>): Attributes {
  const attributes: Attributes = {};
  setDefined(attributes, 'gen_ai.request.model', nonEmptyText(request['model']));
  setDefined(
    attributes,
    'gen_ai.request.max_tokens',
    finiteNumber(request['max_completion_tokens']) ??
      finiteNumber(request['max_tokens']) ??
      finiteNumber(request['max_output_tokens']),
  );
  setDefined(attributes, 'gen_ai.request.temperature', finiteNumber(request['temperature']));
  setDefined(attributes, 'gen_ai.request.top_p', finiteNumber(request['top_p']));
  setDefined(attributes, 'gen_ai.request.frequency_penalty', finiteNumber(request['frequency_penalty']));
  setDefined(attributes, 'gen_ai.request.presence_penalty', finiteNumber(request['presence_penalty']));
  setDefined(attributes, 'gen_ai.request.seed', finiteNumber(request['seed']));
  const choiceCount = finiteNumber(request['n']);
  if (choiceCount !== undefined && choiceCount !== 1) attributes['gen_ai.request.choice.count'] = choiceCount;
  setDefined(attributes, 'gen_ai.request.stop_sequences', texts(request['stop']));
  attributes['gen_ai.request.stream'] = request['stream'] === true;
  return attributes;
}

/** `id`, `model`, `system_fingerprint` and `service_tier` of a response or a chunk's first non-empty values. */
export function responseMetadata(body: Record<string, unknown>): Attributes {
  const attributes: Attributes = {};
  setDefined(attributes, 'gen_ai.response.id', nonEmptyText(body['id']));
  setDefined(attributes, 'gen_ai.response.model', nonEmptyText(body['model']));
  setDefined(attributes, 'openai.response.system_fingerprint', nonEmptyText(body['system_fingerprint']));
  setDefined(attributes, 'openai.response.service_tier', nonEmptyText(body['service_tier']));
  return attributes;
}

const chatUsage = z.looseObject({
  prompt_tokens: tokenCount,
  completion_tokens: tokenCount,
  prompt_tokens_details: nested(z.looseObject({ cached_tokens: tokenCount })),
  completion_tokens_details: nested(z.looseObject({ reasoning_tokens: tokenCount })),
});

/**
 * Chat and Completions `usage`: prompt tokens include the cached ones, completion tokens the reasoning ones, as the
 * conventions count them. `cache_write_tokens` is left inside the input count, priced as input: the price table
 * has no OpenAI cache-write price (it lists 0), so recording it as cache creation would make those tokens free.
 */
export function chatUsageCounts(usage: unknown): TokenCounts {
  const parsed = chatUsage.safeParse(usage);
  if (!parsed.success) return {};
  return {
    input: parsed.data.prompt_tokens,
    output: parsed.data.completion_tokens,
    cacheRead: parsed.data.prompt_tokens_details?.cached_tokens,
    reasoning: parsed.data.completion_tokens_details?.reasoning_tokens,
  };
}

/** Chat finish reasons onto the conventions' output-message values (`tool_calls` is `tool_call` there). */
function outputFinishReason(reason: string | undefined): string | undefined {
  if (reason === 'tool_calls' || reason === 'function_call') return 'tool_call';
  return reason === '' ? undefined : reason;
}

function chatInputMessage(raw: unknown): GenAiMessage | undefined {
  const message = record(raw);
  if (message === undefined) return undefined;
  const role = text(message['role']) ?? 'user';
  const name = text(message['name']);
  if (role === 'tool' || role === 'function') {
    // `function` is the legacy role: a result without a call id, named after its function.
    const result: GenAiMessage = {
      role: 'tool',
      parts: [
        {
          type: 'tool_call_response',
          id: text(message['tool_call_id']) ?? null,
          response: toolResultContent(message['content']),
        },
      ],
    };
    if (name !== undefined) result.name = name;
    return result;
  }
  const result: GenAiMessage = { role, parts: assistantParts(message) };
  if (name !== undefined) result.name = name;
  return result;
}

function outputMessage(message: Record<string, unknown>, finishReason: string | undefined): GenAiMessage {
  const result: GenAiMessage = { role: text(message['role']) ?? 'assistant', parts: assistantParts(message) };
  const reason = outputFinishReason(finishReason);
  if (reason !== undefined) result.finish_reason = reason;
  return result;
}

/** Reasoning, content, refusal and tool calls of a message (any role: only assistants have the last three). */
function assistantParts(message: Record<string, unknown>): MessagePart[] {
  const parts: MessagePart[] = [];
  const reasoning = nonEmptyText(message['reasoning_content']) ?? nonEmptyText(message['reasoning']);
  if (reasoning !== undefined) parts.push({ type: 'reasoning', content: reasoning });
  parts.push(...chatContentParts(message['content']));
  const refusal = nonEmptyText(message['refusal']);
  if (refusal !== undefined) parts.push(textPart(refusal));
  for (const call of records(message['tool_calls'])) {
    // Function tools carry `function: {name, arguments}`; custom tools `custom: {name, input}` (free text).
    const fn = record(call['function']) ?? record(call['custom']) ?? {};
    parts.push(toolCallPart(text(call['id']) ?? null, fn['name'], fn['arguments'] ?? fn['input']));
  }
  const functionCall = record(message['function_call']);
  if (functionCall !== undefined) parts.push(toolCallPart(null, functionCall['name'], functionCall['arguments']));
  return parts;
}

function toolCallPart(id: string | null, name: unknown, args: unknown): MessagePart {
  return {
    type: 'tool_call',
    id,
    name: text(name) ?? '',
    arguments: typeof args === 'string' ? toolArguments(args) : (args ?? {}),
  };
}

function chatContentParts(content: unknown): MessagePart[] {
  if (typeof content === 'string') return [textPart(content)];
  const parts: MessagePart[] = [];
  for (const raw of items(content)) {
    if (typeof raw === 'string') {
      parts.push(textPart(raw));
      continue;
    }
    const part = record(raw);
    if (part === undefined) continue;
    const type = text(part['type']) ?? 'unknown';
    if (type === 'text') parts.push(textPart(text(part['text']) ?? ''));
    else if (type === 'refusal') parts.push(textPart(text(part['refusal']) ?? ''));
    else if (type === 'image_url') parts.push(urlPart(text(record(part['image_url'])?.['url']) ?? '', 'image'));
    else if (type === 'input_audio') {
      const audio = record(part['input_audio']) ?? {};
      parts.push({
        type: 'blob',
        modality: 'audio',
        mime_type: `audio/${text(audio['format']) ?? 'wav'}`,
        content: text(audio['data']) ?? '',
      });
    } else if (type === 'file') parts.push(filePart(record(part['file']) ?? {}));
    else parts.push({ ...part, type });
  }
  return parts;
}

/** A `file` content part: an uploaded file by id, or inline data (a data URL or bare base64). */
function filePart(file: Record<string, unknown>): MessagePart {
  const filename = text(file['filename']);
  const id = nonEmptyText(file['file_id']);
  const data = text(file['file_data']) ?? '';
  const part: MediaPart =
    id !== undefined
      ? { type: 'file', modality: 'document', file_id: id }
      : data.startsWith('data:')
        ? urlPart(data, 'document')
        : { type: 'blob', modality: 'document', content: data };
  if (filename !== undefined) part.filename = filename;
  return part;
}

/** A tool result: text, or text parts joined; any other shape kept as it is. */
function toolResultContent(content: unknown): unknown {
  if (!Array.isArray(content)) return content ?? '';
  const parts = items(content);
  if (!parts.every((part) => record(part)?.['type'] === 'text')) return content;
  return parts.map((part) => text(record(part)?.['text']) ?? '').join('');
}

function chatToolDefinitions(request: Record<string, unknown>): unknown[] {
  const tools = records(request['tools']);
  if (tools.length > 0) return tools;
  return records(request['functions']).map((fn) => ({ type: 'function', function: fn }));
}

interface ChoiceState {
  role: string;
  content: string;
  reasoning: string;
  refusal: string;
  finishReason: string | undefined;
  toolCalls: Map<number, { id: string | null; name: string; arguments: string }>;
  functionCall: { name: string; arguments: string } | undefined;
}

/** What the chunks of an OpenAI event stream (chat or completions) share: their metadata, usage and error. */
export interface OpenAiChunks {
  metadata: Record<string, unknown>;
  usage: unknown;
  error: ProviderError | undefined;
}

/**
 * Walks the chunks of an OpenAI chat or completions stream, handing each choice delta to `onChoice`, up to a
 * chunk carrying an error (the OpenAI SDK stops there; so does the client that received it).
 */
export function readOpenAiChunks(
  stream: ParsedEventStream,
  metadataFields: readonly string[],
  onChoice: (choice: Record<string, unknown>) => void,
): OpenAiChunks {
  const metadata: Record<string, unknown> = {};
  let usage: unknown;
  let error: ProviderError | undefined;
  for (const event of stream.events) {
    const parsed = parseJsonBody(event.data);
    const chunk = parsed.ok ? record(parsed.value) : undefined;
    if (chunk === undefined) continue;
    error = providerError(chunk);
    if (error !== undefined) break;
    // Each field from the first chunk that has it: Azure opens with a content-filter chunk without id or model.
    for (const field of metadataFields)
      if (metadata[field] === undefined && nonEmptyText(chunk[field]) !== undefined) metadata[field] = chunk[field];
    if (record(chunk['usage']) !== undefined) usage = chunk['usage'];
    for (const choice of records(chunk['choices'])) onChoice(choice);
  }
  return { metadata, usage, error };
}

function readChatStream(stream: ParsedEventStream): ResponseReading {
  const choices = new Map<number, ChoiceState>();
  const { metadata, usage, error } = readOpenAiChunks(
    stream,
    ['id', 'model', 'system_fingerprint', 'service_tier'],
    (choice) => addChoiceDelta(choices, choice),
  );
  const attributes = responseMetadata(metadata);
  Object.assign(attributes, usageAttributes(chatUsageCounts(usage)));
  const states = [...choices.entries()].sort(([a], [b]) => a - b).map(([, state]) => state);
  const reasons = states.flatMap((state) => state.finishReason ?? []);
  if (reasons.length > 0) attributes['gen_ai.response.finish_reasons'] = reasons;
  if (states.length > 0) attributes['gen_ai.output.messages'] = messagesJson(states.map(streamedMessage));
  const ended = stream.done || reasons.length > 0;
  return error === undefined ? { attributes, ended } : { attributes, ended, error };
}

function addChoiceDelta(choices: Map<number, ChoiceState>, choice: Record<string, unknown>): void {
  const index = finiteNumber(choice['index']) ?? 0;
  let state = choices.get(index);
  if (state === undefined) {
    if (choices.size >= MAX_ITEMS) return;
    state = {
      role: 'assistant',
      content: '',
      reasoning: '',
      refusal: '',
      finishReason: undefined,
      toolCalls: new Map(),
      functionCall: undefined,
    };
    choices.set(index, state);
  }
  state.finishReason = nonEmptyText(choice['finish_reason']) ?? state.finishReason;
  const delta = record(choice['delta']);
  if (delta === undefined) return;
  state.role = nonEmptyText(delta['role']) ?? state.role;
  state.content += text(delta['content']) ?? '';
  state.reasoning += text(delta['reasoning_content']) ?? text(delta['reasoning']) ?? '';
  state.refusal += text(delta['refusal']) ?? '';
  for (const call of records(delta['tool_calls'])) {
    const callIndex = finiteNumber(call['index']) ?? state.toolCalls.size;
    let accumulated = state.toolCalls.get(callIndex);
    if (accumulated === undefined) {
      if (state.toolCalls.size >= MAX_ITEMS) continue;
      accumulated = { id: null, name: '', arguments: '' };
      state.toolCalls.set(callIndex, accumulated);
    }
    accumulated.id = nonEmptyText(call['id']) ?? accumulated.id;
    const fn = record(call['function']) ?? {};
    accumulated.name = nonEmptyText(fn['name']) ?? accumulated.name;
    accumulated.arguments += text(fn['arguments']) ?? '';
  }
  const functionCall = record(delta['function_call']);
  if (functionCall !== undefined) {
    state.functionCall ??= { name: '', arguments: '' };
    state.functionCall.name = nonEmptyText(functionCall['name']) ?? state.functionCall.name;
    state.functionCall.arguments += text(functionCall['arguments']) ?? '';
  }
}

function streamedMessage(state: ChoiceState): GenAiMessage {
  const parts: MessagePart[] = [];
  if (state.reasoning !== '') parts.push({ type: 'reasoning', content: state.reasoning });
  if (state.content !== '') parts.push(textPart(state.content));
  if (state.refusal !== '') parts.push(textPart(state.refusal));
  for (const [, call] of [...state.toolCalls.entries()].sort(([a], [b]) => a - b))
    parts.push(toolCallPart(call.id, call.name, call.arguments));
  if (state.functionCall !== undefined)
    parts.push(toolCallPart(null, state.functionCall.name, state.functionCall.arguments));
  const message: GenAiMessage = { role: state.role, parts };
  const reason = outputFinishReason(state.finishReason);
  if (reason !== undefined) message.finish_reason = reason;
  return message;
}
