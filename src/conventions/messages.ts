/**
 * Building blocks for turning any convention's message into the canonical OpenAI chat shape: role aliases,
 * tool-call arguments as JSON text, content that keeps its text whatever shape it came in, and a reader for
 * messages that are already (roughly) OpenAI-shaped, which legacy GenAI events and several SDKs emit.
 */
import type { ContentPart, Message, MessageRole, ToolCall } from '../model/message.ts';
import { asRecord, asString, ownEntry, parseJson, toJsonText } from './attributes.ts';

const ROLE_ALIASES: Record<string, MessageRole> = {
  system: 'system',
  developer: 'developer',
  user: 'user',
  human: 'user',
  assistant: 'assistant',
  model: 'assistant',
  ai: 'assistant',
  bot: 'assistant',
  chatbot: 'assistant',
  tool: 'tool',
  function: 'tool',
  ipython: 'tool',
  tool_result: 'tool',
};

/** A canonical role for any spelling; unknown roles fall back to `fallback` so the message is kept. */
export function normaliseRole(role: unknown, fallback: MessageRole = 'user'): MessageRole {
  if (typeof role !== 'string') return fallback;
  return ownEntry(ROLE_ALIASES, role.toLowerCase()) ?? fallback;
}

/** Tool-call arguments as JSON text: strings are taken as already-serialised JSON, objects are serialised. */
export function argumentsToJson(value: unknown): string {
  if (value === undefined || value === null) return '{}';
  return toJsonText(value);
}

export function toolCall(id: unknown, name: unknown, args: unknown): ToolCall {
  return {
    id: toolCallId(id),
    type: 'function',
    function: { name: typeof name === 'string' ? name : '', arguments: argumentsToJson(args) },
  };
}

/** A call id as text: a scalar id (attribute values may be ints) keeps its text; an object or array is no id. */
function toolCallId(id: unknown): string {
  if (typeof id === 'string') return id;
  if (typeof id === 'number' || typeof id === 'bigint' || typeof id === 'boolean') return String(id);
  return '';
}

/**
 * Content as text when it is text (or a list of text parts), otherwise as content parts. Unknown shapes are
 * serialised rather than dropped, so nothing an agent said disappears from the training data.
 */
export function normaliseContent(content: unknown): string | ContentPart[] | null {
  if (content === undefined || content === null) return null;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    let text = '';
    let allText = true;
    const parts: ContentPart[] = [];
    for (const item of content) {
      if (typeof item === 'string') {
        text += item;
        parts.push({ type: 'text', text: item });
        continue;
      }
      const part = asRecord(item);
      const partText = part === undefined ? undefined : textOfPart(part);
      if (partText !== undefined) {
        text += partText;
        parts.push({ type: 'text', text: partText });
      } else {
        allText = false;
        parts.push(
          part !== undefined && typeof part.type === 'string'
            ? (part as ContentPart)
            : { type: 'unknown', value: item },
        );
      }
    }
    return allText ? text : parts;
  }
  const record = asRecord(content);
  if (record !== undefined) {
    const text = textOfPart(record);
    if (text !== undefined) return text;
  }
  return toJsonText(content);
}

/** The text of a text-like part (`{type:'text', text}`, `{type:'text', content}`), or undefined. */
function textOfPart(part: Record<string, unknown>): string | undefined {
  if (part.type !== undefined && part.type !== 'text' && part.type !== 'input_text' && part.type !== 'output_text') {
    return undefined;
  }
  return asString(part.text) ?? asString(part.content);
}

/**
 * Content as plain text, for fields that must be text (tool results, reasoning). Only a list of typed parts is read
 * as content; any other payload (`{content: 'ok', status: 200}`, `['doc1', 'doc2']`) is the tool's own value and is
 * kept whole as JSON text.
 */
export function contentToText(content: unknown): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!isContentPartList(content)) return toJsonText(content);
  const normalised = normaliseContent(content);
  if (normalised === null) return '';
  return typeof normalised === 'string' ? normalised : toJsonText(normalised);
}

/** A non-empty array of objects that each carry a string `type`: the only shape read as content parts. */
export function isContentPartList(value: unknown): value is Array<Record<string, unknown>> {
  return Array.isArray(value) && value.length > 0 && value.every((item) => typeof asRecord(item)?.type === 'string');
}

/**
 * Reads an OpenAI-shaped message (`role`, `content`, `tool_calls`, `tool_call_id`, `name`), tolerating the
 * variations legacy GenAI events use: the tool message's call id under `id`, arguments as objects.
 */
export function fromOpenAiMessage(raw: unknown, defaultRole: MessageRole = 'user'): Message {
  const record = asRecord(parseJson(raw));
  if (record === undefined) return { role: defaultRole, content: normaliseContent(raw) };
  const role = normaliseRole(record.role, defaultRole);
  const message: Message = { role, content: normaliseContent(record.content) };
  const calls = readToolCalls(record.tool_calls);
  const functionCall = asRecord(record.function_call);
  if (functionCall !== undefined) calls.push(toolCall('', functionCall.name, functionCall.arguments));
  if (calls.length > 0) message.tool_calls = calls;
  const callId = asString(record.tool_call_id) ?? (role === 'tool' ? asString(record.id) : undefined);
  if (callId !== undefined) message.tool_call_id = callId;
  const name = asString(record.name);
  if (name !== undefined) message.name = name;
  const reasoning = asString(record.reasoning) ?? asString(record.reasoning_content);
  if (reasoning !== undefined) message.reasoning = reasoning;
  if (role === 'tool' && message.content === null) message.content = '';
  return message;
}

/** OpenAI-shaped tool calls (`{id, function: {name, arguments}}` or flat `{id, name, arguments}`). */
export function readToolCalls(value: unknown): ToolCall[] {
  const parsed = parseJson(value);
  if (!Array.isArray(parsed)) return [];
  const calls: ToolCall[] = [];
  for (const item of parsed) {
    const call = asRecord(item);
    if (call === undefined) continue;
    const fn = asRecord(call.function);
    calls.push(toolCall(call.id, fn?.name ?? call.name, fn?.arguments ?? call.arguments));
  }
  return calls;
}
