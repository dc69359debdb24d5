/**
 * Anthropic Messages (`POST /v1/messages`, JSON and `stream: true`) as GenAI span attributes. `system` (a string
 * or text blocks) becomes `gen_ai.system_instructions`. Content blocks become parts: `text`, `image` / `document`
 * as `blob` (base64), `uri` (url) or `file` (file id), `tool_use` as a tool call, `thinking` as reasoning, any
 * other block kept whole; `redacted_thinking` is opaque and left out. `tool_result` blocks, which Anthropic sends
 * inside user messages, become `tool` messages of their own, in order, with `is_error` kept when the request set
 * it. Custom tools are recorded in OpenAI's chat tools shape (`input_schema` as `parameters`); server tools (web
 * search, code execution, ...) as given.
 *
 * Usage: Anthropic's `input_tokens` counts only the input after the last cache breakpoint, and reports cache reads
 * and writes beside it. The conventions (and the analytics' cost rule, which subtracts cache tokens from input)
 * count all input, so `gen_ai.usage.input_tokens` is the sum of the three, as this product's instrumentation
 * records it; the cache counts are recorded as reported, so Anthropic's own figure is their difference.
 * A stream is rebuilt the way the SDK's `MessageStream` does: `message_start` opens the message, content blocks
 * grow by index from their deltas (text, thinking, `input_json_delta` fragments parsed at the end), and
 * `message_delta` sets the stop reason and the cumulative usage; `message_stop` ends it.
 */
import { z } from 'zod';
import { toJsonText } from '../conventions/attributes.ts';
import type { Attributes } from '../model/otlp.ts';
import {
  messagesJson,
  setDefined,
  textPart,
  usageAttributes,
  type GenAiMessage,
  type MessagePart,
  type TokenCounts,
  type ToolCallResponsePart,
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
} from './untrusted-values.ts';

export const anthropicMessagesReader: ProtocolReader = {
  operation: 'chat',
  provider: 'anthropic',
  readRequest(request) {
    const attributes: Attributes = {};
    setDefined(attributes, 'gen_ai.request.model', nonEmptyText(request['model']));
    setDefined(attributes, 'gen_ai.request.max_tokens', finiteNumber(request['max_tokens']));
    setDefined(attributes, 'gen_ai.request.temperature', finiteNumber(request['temperature']));
    setDefined(attributes, 'gen_ai.request.top_p', finiteNumber(request['top_p']));
    setDefined(attributes, 'gen_ai.request.top_k', finiteNumber(request['top_k']));
    setDefined(attributes, 'gen_ai.request.stop_sequences', texts(request['stop_sequences']));
    attributes['gen_ai.request.stream'] = request['stream'] === true;
    const system = request['system'];
    const instructions = typeof system === 'string' ? [textPart(system)] : blockParts(system);
    if (instructions.length > 0 && system !== '') attributes['gen_ai.system_instructions'] = messagesJson(instructions);
    if (Array.isArray(request['messages']))
      attributes['gen_ai.input.messages'] = messagesJson(inputMessages(request['messages']));
    const tools = records(request['tools']).map(chatShapeTool);
    if (tools.length > 0) attributes['gen_ai.tool.definitions'] = toJsonText(tools);
    return attributes;
  },
  readResponse(body) {
    // A Message always has `content`; without it, a body carrying an error is an error answer sent as 200.
    const error = body['content'] === undefined ? providerError(body) : undefined;
    const attributes = messageAttributes(body, records(body['content']));
    return error === undefined ? { attributes, ended: true } : { attributes, ended: true, error };
  },
  readStream: readMessageStream,
};

/** A custom tool `{name, description, input_schema}` as `{type:'function', function:{name, description, parameters}}`. */
function chatShapeTool(tool: Record<string, unknown>): Record<string, unknown> {
  const type = tool['type'];
  if (type !== undefined && type !== null && type !== 'custom') return tool;
  const definition: Record<string, unknown> = { name: tool['name'] };
  if (tool['description'] !== undefined) definition['description'] = tool['description'];
  if (tool['input_schema'] !== undefined) definition['parameters'] = tool['input_schema'];
  return { type: 'function', function: definition };
}

function inputMessages(messages: unknown[]): GenAiMessage[] {
  const result: GenAiMessage[] = [];
  for (const message of records(messages)) {
    const role = text(message['role']) ?? 'user';
    const content = message['content'];
    if (typeof content === 'string') {
      result.push({ role, parts: [textPart(content)] });
      continue;
    }
    // Tool results split the message: each is a `tool` message, and the blocks around them stay in order.
    let pending: MessagePart[] = [];
    const flush = (): void => {
      if (pending.length > 0) result.push({ role, parts: pending });
      pending = [];
    };
    for (const block of records(content)) {
      if (block['type'] === 'tool_result') {
        flush();
        result.push({ role: 'tool', parts: [toolResultPart(block)] });
      } else pending.push(...blockParts([block]));
    }
    flush();
  }
  return result;
}

function toolResultPart(block: Record<string, unknown>): ToolCallResponsePart {
  const part: ToolCallResponsePart = {
    type: 'tool_call_response',
    id: text(block['tool_use_id']) ?? null,
    response: toolResultContent(block['content']),
  };
  // Only when the caller said: Anthropic reads a missing flag as success, and so does the receiver.
  if (typeof block['is_error'] === 'boolean') part.is_error = block['is_error'];
  return part;
}

/** A tool result's content: text, text blocks joined, or (images, documents) the blocks as they are. */
function toolResultContent(content: unknown): unknown {
  if (!Array.isArray(content)) return content ?? '';
  const blocks = records(content);
  if (blocks.length !== items(content).length || !blocks.every((block) => block['type'] === 'text')) return content;
  return blocks.map((block) => text(block['text']) ?? '').join('');
}

function blockParts(blocks: unknown): MessagePart[] {
  const parts: MessagePart[] = [];
  for (const block of records(blocks)) {
    const type = text(block['type']) ?? 'unknown';
    if (type === 'text') parts.push(textPart(text(block['text']) ?? ''));
    else if (type === 'tool_use')
      parts.push({
        type: 'tool_call',
        id: text(block['id']) ?? null,
        name: text(block['name']) ?? '',
        arguments: block['input'] ?? {},
      });
    else if (type === 'thinking') parts.push({ type: 'reasoning', content: text(block['thinking']) ?? '' });
    else if (type === 'redacted_thinking') continue;
    else if (type === 'image' || type === 'document') parts.push(sourcePart(block, type));
    else parts.push({ ...block, type });
  }
  return parts;
}

/** An image or document block by its `source`: base64 data, a URL, or an uploaded file. */
function sourcePart(block: Record<string, unknown>, type: 'image' | 'document'): MessagePart {
  const source = record(block['source']) ?? {};
  const mimeType = nonEmptyText(source['media_type']);
  const withMime = <T extends MessagePart>(part: T): T =>
    mimeType === undefined ? part : { ...part, mime_type: mimeType };
  switch (source['type']) {
    case 'base64':
      return withMime({ type: 'blob', modality: type, content: text(source['data']) ?? '' });
    case 'url':
      return withMime({ type: 'uri', modality: type, uri: text(source['url']) ?? '' });
    case 'file':
      return withMime({ type: 'file', modality: type, file_id: text(source['file_id']) ?? '' });
    default:
      // Plain-text and content-block documents: kept whole.
      return { ...block, type };
  }
}

const messageUsage = z.looseObject({
  input_tokens: tokenCount,
  output_tokens: tokenCount,
  cache_read_input_tokens: tokenCount,
  cache_creation_input_tokens: tokenCount,
  output_tokens_details: nested(z.looseObject({ thinking_tokens: tokenCount })),
});

function usageCounts(usage: unknown): TokenCounts {
  const parsed = messageUsage.safeParse(usage);
  if (!parsed.success) return {};
  const {
    input_tokens: input,
    cache_read_input_tokens: cacheRead,
    cache_creation_input_tokens: cacheCreation,
  } = parsed.data;
  return {
    input: input === undefined ? undefined : input + (cacheRead ?? 0) + (cacheCreation ?? 0),
    output: parsed.data.output_tokens,
    cacheRead,
    cacheCreation,
    reasoning: parsed.data.output_tokens_details?.thinking_tokens,
  };
}

/** Anthropic stop reasons onto the conventions' output-message values; others (`pause_turn`) as they are. */
function outputFinishReason(reason: string): string {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'tool_use':
      return 'tool_call';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'content_filter';
    default:
      return reason;
  }
}

function messageAttributes(message: Record<string, unknown>, content: Array<Record<string, unknown>>): Attributes {
  const attributes: Attributes = {};
  setDefined(attributes, 'gen_ai.response.id', nonEmptyText(message['id']));
  setDefined(attributes, 'gen_ai.response.model', nonEmptyText(message['model']));
  const stopReason = nonEmptyText(message['stop_reason']);
  if (stopReason !== undefined) attributes['gen_ai.response.finish_reasons'] = [stopReason];
  Object.assign(attributes, usageAttributes(usageCounts(message['usage'])));
  if (content.length > 0 || stopReason !== undefined) {
    const output: GenAiMessage = { role: text(message['role']) ?? 'assistant', parts: blockParts(content) };
    if (stopReason !== undefined) output.finish_reason = outputFinishReason(stopReason);
    attributes['gen_ai.output.messages'] = messagesJson([output]);
  }
  return attributes;
}

function readMessageStream(stream: ParsedEventStream): ResponseReading {
  let message: Record<string, unknown> = {};
  let usage: Record<string, unknown> = {};
  let stopReason: unknown;
  let ended = false;
  let error: ProviderError | undefined;
  const blocks = new Map<number, Record<string, unknown>>();
  const partialJson = new Map<number, string>();
  for (const sse of stream.events) {
    const parsed = parseJsonBody(sse.data);
    const event = parsed.ok ? record(parsed.value) : undefined;
    if (event === undefined) continue;
    const type = text(event['type']) ?? sse.event;
    const index = finiteNumber(event['index']) ?? 0;
    if (type === 'error') {
      error = providerError(event) ?? { type: 'error', message: 'the stream reported an error' };
      break;
    } else if (type === 'message_start') {
      message = record(event['message']) ?? {};
      usage = { ...record(message['usage']) };
    } else if (type === 'content_block_start') {
      const block = record(event['content_block']);
      if (block !== undefined && (blocks.has(index) || blocks.size < MAX_ITEMS)) blocks.set(index, { ...block });
    } else if (type === 'content_block_delta') {
      const block = blocks.get(index);
      const delta = record(event['delta']);
      if (block === undefined || delta === undefined) continue;
      if (delta['type'] === 'text_delta') block['text'] = (text(block['text']) ?? '') + (text(delta['text']) ?? '');
      else if (delta['type'] === 'thinking_delta')
        block['thinking'] = (text(block['thinking']) ?? '') + (text(delta['thinking']) ?? '');
      else if (delta['type'] === 'input_json_delta')
        partialJson.set(index, (partialJson.get(index) ?? '') + (text(delta['partial_json']) ?? ''));
    } else if (type === 'message_delta') {
      const delta = record(event['delta']) ?? {};
      if (delta['stop_reason'] !== undefined && delta['stop_reason'] !== null) stopReason = delta['stop_reason'];
      // Cumulative counts: a later non-null value replaces the earlier one.
      for (const [key, value] of Object.entries(record(event['usage']) ?? {}))
        if (value !== null && value !== undefined) usage[key] = value;
    } else if (type === 'message_stop') {
      ended = true;
      break;
    }
  }
  const content = [...blocks.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, block]) => {
      const json = partialJson.get(index);
      if (json === undefined || json === '') return block;
      // A tool input cut off mid-stream does not parse: its text is what arrived.
      const input = parseJsonBody(json);
      return { ...block, input: input.ok ? input.value : json };
    });
  const final = { ...message, usage, ...(stopReason === undefined ? {} : { stop_reason: stopReason }) };
  const attributes = messageAttributes(final, content);
  return error === undefined ? { attributes, ended } : { attributes, ended, error };
}
