/**
 * OpenAI Responses (`POST /v1/responses`, JSON and `stream: true`) as GenAI span attributes. `instructions` become
 * `gen_ai.system_instructions`; `input` (a string, or items) becomes `gen_ai.input.messages`: message items with
 * their content parts, and `function_call` / `custom_tool_call` and `reasoning` items joined into the assistant
 * message they follow (so a replayed turn reads as one assistant message with its tool calls, as in the chat
 * shape), `function_call_output` / `custom_tool_call_output` items as tool results keyed by `call_id`. Function
 * tools are recorded in OpenAI's chat tools shape; other tools (web search, MCP, ...) as given.
 *
 * The API has no finish reason: it is derived from `status` (`completed` is `tool_call` when the output calls a
 * function, else `stop`; `incomplete` is `length` or `content_filter` from `incomplete_details`; `failed` is
 * `error`) and recorded both as `gen_ai.response.finish_reasons` and on the output message. A stream is read from
 * its terminal `response.completed` / `.incomplete` / `.failed` event, which holds the whole response; when the
 * stream stops before it, the output is rebuilt from the items and deltas that arrived (`output_item.added` /
 * `.done`, text, refusal, arguments and reasoning deltas) and no finish reason is recorded.
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
import { openAiRequestParameters, responseMetadata } from './openai-chat-exchange.ts';
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
  tokenCount,
  toolArguments,
} from './untrusted-values.ts';

export const openAiResponsesReader: ProtocolReader = {
  operation: 'chat',
  provider: 'openai',
  readRequest(request) {
    const attributes: Attributes = { 'openai.api.type': 'responses', ...openAiRequestParameters(request) };
    const instructions = nonEmptyText(request['instructions']);
    if (instructions !== undefined) attributes['gen_ai.system_instructions'] = messagesJson([textPart(instructions)]);
    setDefined(attributes, 'openai.request.previous_response_id', nonEmptyText(request['previous_response_id']));
    const conversation = request['conversation'];
    setDefined(
      attributes,
      'gen_ai.conversation.id',
      nonEmptyText(conversation) ?? nonEmptyText(record(conversation)?.['id']),
    );
    const input = inputMessages(request['input']);
    if (input !== undefined) attributes['gen_ai.input.messages'] = messagesJson(input);
    const tools = records(request['tools']).map(chatShapeTool);
    if (tools.length > 0) attributes['gen_ai.tool.definitions'] = toJsonText(tools);
    return attributes;
  },
  readResponse(body) {
    // A Response always has `output`; a body without one that carries an error is an error answer sent as 200.
    const error = body['output'] === undefined ? providerError(body) : undefined;
    return readResponseObject(body, { ended: true, ...(error ? { error } : {}) });
  },
  readStream: readResponsesStream,
};

/** `{type:'function', name, description, parameters, strict}` as `{type:'function', function:{...}}`. */
function chatShapeTool(tool: Record<string, unknown>): Record<string, unknown> {
  if (tool['type'] !== 'function') return tool;
  const { type: _type, ...definition } = tool;
  return { type: 'function', function: definition };
}

function inputMessages(input: unknown): GenAiMessage[] | undefined {
  if (typeof input === 'string') return [{ role: 'user', parts: [textPart(input)] }];
  if (!Array.isArray(input)) return undefined;
  const messages: GenAiMessage[] = [];
  const appendToAssistant = (parts: MessagePart[]): void => {
    const last = messages[messages.length - 1];
    if (last !== undefined && last.role === 'assistant') last.parts.push(...parts);
    else messages.push({ role: 'assistant', parts });
  };
  for (const item of records(input)) {
    const type = text(item['type']);
    if (type === undefined || type === 'message') {
      const role = text(item['role']) ?? 'user';
      const parts = contentParts(item['content']);
      if (role === 'assistant') appendToAssistant(parts);
      else messages.push({ role, parts });
    } else if (type === 'function_call_output' || type === 'custom_tool_call_output') {
      messages.push({
        role: 'tool',
        parts: [
          { type: 'tool_call_response', id: text(item['call_id']) ?? null, response: toolOutput(item['output']) },
        ],
      });
    } else {
      const part = outputItemPart(item, type);
      if (part === undefined) continue;
      // Items a model produced (calls, reasoning, server tool calls) belong to the assistant's turn; anything
      // else (item references, approval responses, tool outputs of other kinds) is the caller's.
      if (part.type === 'tool_call' || part.type === 'reasoning' || /_call$|^mcp_/.test(type))
        appendToAssistant([part]);
      else messages.push({ role: 'user', parts: [part] });
    }
  }
  return messages;
}

/** An output item (also replayed as input) as one part; undefined for a reasoning item without readable text. */
function outputItemPart(item: Record<string, unknown>, type: string): MessagePart | undefined {
  if (type === 'function_call')
    return {
      type: 'tool_call',
      id: text(item['call_id']) ?? null,
      name: text(item['name']) ?? '',
      arguments: toolArguments(text(item['arguments']) ?? ''),
    };
  if (type === 'custom_tool_call')
    return {
      type: 'tool_call',
      id: text(item['call_id']) ?? null,
      name: text(item['name']) ?? '',
      arguments: text(item['input']) ?? '',
    };
  if (type === 'reasoning') {
    const content = reasoningText(item);
    return content === '' ? undefined : { type: 'reasoning', content };
  }
  return { ...item, type };
}

/** Summary texts, then the raw reasoning texts some models return, one per line. */
function reasoningText(item: Record<string, unknown>): string {
  return [...records(item['summary']), ...records(item['content'])]
    .flatMap((part) => text(part['text']) ?? [])
    .join('\n');
}

function contentParts(content: unknown): MessagePart[] {
  if (typeof content === 'string') return [textPart(content)];
  const parts: MessagePart[] = [];
  for (const part of records(content)) {
    const type = text(part['type']) ?? 'unknown';
    if (type === 'input_text' || type === 'output_text' || type === 'text')
      parts.push(textPart(text(part['text']) ?? ''));
    else if (type === 'refusal') parts.push(textPart(text(part['refusal']) ?? ''));
    else if (type === 'input_image' || type === 'input_file') parts.push(mediaPart(part, type));
    else if (type === 'input_audio') {
      const audio = record(part['input_audio']) ?? {};
      parts.push({
        type: 'blob',
        modality: 'audio',
        mime_type: `audio/${text(audio['format']) ?? 'wav'}`,
        content: text(audio['data']) ?? '',
      });
    } else parts.push({ ...part, type });
  }
  return parts;
}

/** `input_image` (`image_url` or `file_id`) and `input_file` (`file_id`, `file_url` or inline `file_data`). */
function mediaPart(part: Record<string, unknown>, type: 'input_image' | 'input_file'): MediaPart {
  const modality = type === 'input_image' ? 'image' : 'document';
  const fileId = nonEmptyText(part['file_id']);
  const url = nonEmptyText(part['image_url']) ?? nonEmptyText(part['file_url']);
  const data = nonEmptyText(part['file_data']);
  const media: MediaPart =
    fileId !== undefined
      ? { type: 'file', modality, file_id: fileId }
      : url !== undefined
        ? urlPart(url, modality)
        : data !== undefined && data.startsWith('data:')
          ? urlPart(data, modality)
          : { type: 'blob', modality, content: data ?? '' };
  const filename = nonEmptyText(part['filename']);
  if (filename !== undefined) media.filename = filename;
  return media;
}

/** A tool output: text, or a list of content parts (joined when they are all text). */
function toolOutput(output: unknown): unknown {
  const parts = records(output);
  if (parts.length === 0 || parts.length !== items(output).length) return output ?? '';
  if (!parts.every((part) => part['type'] === 'input_text' || part['type'] === 'output_text')) return output;
  return parts.map((part) => text(part['text']) ?? '').join('');
}

const responsesUsage = z.looseObject({
  input_tokens: tokenCount,
  output_tokens: tokenCount,
  input_tokens_details: nested(z.looseObject({ cached_tokens: tokenCount })),
  output_tokens_details: nested(z.looseObject({ reasoning_tokens: tokenCount })),
});

/** As Chat's usage (`chatUsageCounts`), under the Responses names; `cache_write_tokens` stays in the input count. */
function usageCounts(usage: unknown): TokenCounts {
  const parsed = responsesUsage.safeParse(usage);
  if (!parsed.success) return {};
  return {
    input: parsed.data.input_tokens,
    output: parsed.data.output_tokens,
    cacheRead: parsed.data.input_tokens_details?.cached_tokens,
    reasoning: parsed.data.output_tokens_details?.reasoning_tokens,
  };
}

/** The conventions' finish reason for a response in a final state, undefined while it is still running. */
function finishReason(response: Record<string, unknown>, output: ReadonlyArray<Record<string, unknown>>) {
  switch (response['status']) {
    case 'completed':
      return output.some((item) => item['type'] === 'function_call' || item['type'] === 'custom_tool_call')
        ? 'tool_call'
        : 'stop';
    case 'incomplete':
      return record(response['incomplete_details'])?.['reason'] === 'content_filter' ? 'content_filter' : 'length';
    case 'failed':
      return 'error';
    default:
      return undefined;
  }
}

/**
 * A Response object (a JSON body, or a stream's final `response`) as attributes; `output` replaces the object's
 * own items when a stream stopped before its end.
 */
function readResponseObject(
  response: Record<string, unknown>,
  options: { ended: boolean; output?: Array<Record<string, unknown>>; error?: ProviderError },
): ResponseReading {
  const attributes = responseMetadata(response);
  Object.assign(attributes, usageAttributes(usageCounts(response['usage'])));
  const output = options.output ?? records(response['output']);
  const reason = finishReason(response, output);
  if (reason !== undefined) attributes['gen_ai.response.finish_reasons'] = [reason];
  if (output.length > 0) {
    const message: GenAiMessage = {
      role: 'assistant',
      parts: output.flatMap((item) => outputParts(item)),
    };
    if (reason !== undefined) message.finish_reason = reason;
    attributes['gen_ai.output.messages'] = messagesJson([message]);
  }
  const error = options.error ?? failedResponseError(response);
  return error === undefined ? { attributes, ended: options.ended } : { attributes, ended: options.ended, error };
}

function outputParts(item: Record<string, unknown>): MessagePart[] {
  const type = text(item['type']);
  if (type === undefined) return [];
  if (type === 'message') return contentParts(item['content']);
  const part = outputItemPart(item, type);
  return part === undefined ? [] : [part];
}

function failedResponseError(response: Record<string, unknown>): ProviderError | undefined {
  if (response['status'] !== 'failed') return undefined;
  const error = record(response['error']) ?? {};
  return {
    type: nonEmptyText(error['code']) ?? 'response_failed',
    message: nonEmptyText(error['message']) ?? 'the response failed',
  };
}

const TERMINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** An output item being streamed, with the deltas that arrived for it. */
interface PartialItem {
  item: Record<string, unknown>;
  text: string;
  refusal: string;
  arguments: string;
  summary: string;
  reasoning: string;
}

function readResponsesStream(stream: ParsedEventStream): ResponseReading {
  let snapshot: Record<string, unknown> = {};
  let final: Record<string, unknown> | undefined;
  let error: ProviderError | undefined;
  const done = new Map<number, Record<string, unknown>>();
  const partial = new Map<number, PartialItem>();
  for (const sse of stream.events) {
    const parsed = parseJsonBody(sse.data);
    const event = parsed.ok ? record(parsed.value) : undefined;
    if (event === undefined) continue;
    const type = text(event['type']) ?? sse.event ?? '';
    const response = record(event['response']);
    if (response !== undefined) {
      if (TERMINAL_EVENTS.has(type)) {
        final = response;
        break;
      }
      snapshot = response;
      continue;
    }
    if (type === 'error') {
      error ??= {
        type: nonEmptyText(event['code']) ?? 'error',
        message: nonEmptyText(event['message']) ?? 'the stream reported an error',
      };
      continue;
    }
    const index = finiteNumber(event['output_index']) ?? 0;
    if (type === 'response.output_item.done') {
      const item = record(event['item']);
      if (item !== undefined && (done.has(index) || done.size < MAX_ITEMS)) done.set(index, item);
      continue;
    }
    if (type === 'response.output_item.added') {
      const item = record(event['item']);
      if (item !== undefined && (partial.has(index) || partial.size < MAX_ITEMS))
        partial.set(index, {
          item,
          text: '',
          refusal: '',
          arguments: text(item['arguments']) ?? text(item['input']) ?? '',
          summary: '',
          reasoning: '',
        });
      continue;
    }
    const target = partial.get(index);
    if (target !== undefined) addDelta(target, type, text(event['delta']) ?? '');
  }
  const indexes = [...new Set([...partial.keys(), ...done.keys()])].sort((a, b) => a - b);
  const output: Array<Record<string, unknown>> = [];
  for (const index of indexes) {
    const item = done.get(index) ?? rebuiltItem(partial.get(index));
    if (item !== undefined) output.push(item);
  }
  const withError = error === undefined ? {} : { error };
  if (final !== undefined) {
    // The final response holds the whole output; the streamed items stand in only when it lacks them.
    const finalOutput = records(final['output']).length > 0 || output.length === 0 ? {} : { output };
    return readResponseObject(final, { ended: true, ...finalOutput, ...withError });
  }
  // No terminal event: the response's state is not known, so the snapshot's status must not decide the reason.
  const { status: _status, ...metadata } = snapshot;
  return readResponseObject(metadata, { ended: false, output, ...withError });
}

function addDelta(target: PartialItem, type: string, delta: string): void {
  switch (type) {
    case 'response.output_text.delta':
      target.text += delta;
      break;
    case 'response.refusal.delta':
      target.refusal += delta;
      break;
    case 'response.function_call_arguments.delta':
    case 'response.custom_tool_call_input.delta':
      target.arguments += delta;
      break;
    case 'response.reasoning_summary_part.added':
      // Summary parts are separate paragraphs; the final response's parts are joined the same way.
      if (target.summary !== '') target.summary += '\n';
      break;
    case 'response.reasoning_summary_text.delta':
      target.summary += delta;
      break;
    case 'response.reasoning_text.delta':
      target.reasoning += delta;
      break;
    default:
      break;
  }
}

function rebuiltItem(partial: PartialItem | undefined): Record<string, unknown> | undefined {
  if (partial === undefined) return undefined;
  const { item } = partial;
  switch (item['type']) {
    case 'message': {
      const content: Array<Record<string, unknown>> = [];
      if (partial.text !== '') content.push({ type: 'output_text', text: partial.text });
      if (partial.refusal !== '') content.push({ type: 'refusal', refusal: partial.refusal });
      return { ...item, content };
    }
    case 'function_call':
      return { ...item, arguments: partial.arguments };
    case 'custom_tool_call':
      return { ...item, input: partial.arguments };
    case 'reasoning':
      return {
        ...item,
        summary: partial.summary === '' ? [] : [{ type: 'summary_text', text: partial.summary }],
        content: partial.reasoning === '' ? [] : [{ type: 'reasoning_text', text: partial.reasoning }],
      };
    default:
      return item;
  }
}
