/**
 * The GenAI semantic-convention message shapes (gen-ai-input-messages.json, gen-ai-output-messages.json,
 * gen-ai-system-instructions.json) that each protocol module builds, and the attribute writers they share. The
 * shapes are the ones `src/conventions/genai-messages.ts` reads: a role and typed parts (`text`, `tool_call`,
 * `tool_call_response`, `reasoning`, media parts `uri` / `blob` / `file`, anything else kept whole), with
 * `finish_reason` on output messages. Usage follows the conventions: `gen_ai.usage.input_tokens` includes cached
 * input tokens and `gen_ai.usage.output_tokens` includes reasoning tokens, which is what the analytics' cost rule
 * (`src/analytics/model-calls.sql`) subtracts from.
 */
import { toJsonText } from '../conventions/attributes.ts';
import type { Attributes } from '../model/otlp.ts';

export interface TextPart {
  type: 'text';
  content: string;
}
export interface ToolCallPart {
  type: 'tool_call';
  id: string | null;
  name: string;
  /** An object, or the provider's JSON text when it does not round-trip exactly (see `toolArguments`). */
  arguments: unknown;
}
export interface ToolCallResponsePart {
  type: 'tool_call_response';
  id: string | null;
  response: unknown;
  /** Anthropic's `tool_result.is_error`, when the request set it; the mapping keeps it on the tool message. */
  is_error?: boolean;
}
export interface ReasoningPart {
  type: 'reasoning';
  content: string;
}
export interface MediaPart {
  type: 'uri' | 'blob' | 'file';
  modality: string;
  mime_type?: string;
  uri?: string;
  content?: string;
  file_id?: string;
  /** Not in the conventions (which allow extra properties): the name a client gave an inline or uploaded file. */
  filename?: string;
}
/** A provider part or item the conventions do not define, kept with its provider fields. */
export interface GenericPart {
  type: string;
  [field: string]: unknown;
}
export type MessagePart = TextPart | ToolCallPart | ToolCallResponsePart | ReasoningPart | MediaPart | GenericPart;

export interface GenAiMessage {
  role: string;
  parts: MessagePart[];
  name?: string;
  /** Output messages only, and only when the provider said why the model stopped. */
  finish_reason?: string;
}

export function textPart(content: string): TextPart {
  return { type: 'text', content };
}

/**
 * A media reference as a GenAI part: a `data:` URL becomes a `blob` with its mime type and base64 content, any
 * other URL a `uri`.
 */
export function urlPart(url: string, modality: string): MediaPart {
  const dataUrl = /^data:([^;,]*)(?:;[^,]*)?;base64,/.exec(url);
  if (dataUrl !== null) {
    const part: MediaPart = { type: 'blob', modality, content: url.slice(dataUrl[0].length) };
    if (dataUrl[1]) part.mime_type = dataUrl[1];
    return part;
  }
  return { type: 'uri', modality, uri: url };
}

/** A message list as the JSON text attribute the mapping parses. Never throws (deep values are capped). */
export function messagesJson(messages: readonly GenAiMessage[] | readonly MessagePart[]): string {
  return toJsonText(messages);
}

export interface TokenCounts {
  /** All input tokens, cached ones included. */
  input?: number | undefined;
  /** All output tokens, reasoning ones included. */
  output?: number | undefined;
  cacheRead?: number | undefined;
  cacheCreation?: number | undefined;
  reasoning?: number | undefined;
}

/** The `gen_ai.usage.*` attributes for the counts a response reported. */
export function usageAttributes(counts: TokenCounts): Attributes {
  const attributes: Attributes = {};
  if (counts.input !== undefined) attributes['gen_ai.usage.input_tokens'] = counts.input;
  if (counts.output !== undefined) attributes['gen_ai.usage.output_tokens'] = counts.output;
  if (counts.cacheRead !== undefined) attributes['gen_ai.usage.cache_read.input_tokens'] = counts.cacheRead;
  if (counts.cacheCreation !== undefined) attributes['gen_ai.usage.cache_creation.input_tokens'] = counts.cacheCreation;
  if (counts.reasoning !== undefined) attributes['gen_ai.usage.reasoning.output_tokens'] = counts.reasoning;
  return attributes;
}

/** Sets `key` when `value` is defined (numbers, strings, booleans and string lists only). */
export function setDefined(
  attributes: Attributes,
  key: string,
  value: string | number | boolean | string[] | undefined,
): void {
  if (value !== undefined) attributes[key] = value;
}
