/**
 * GenAI semconv messages (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.system_instructions`) onto
 * canonical messages. A GenAI message is a role plus typed parts; one message can become several canonical ones
 * because OpenAI's shape has one `tool` message per tool result, while GenAI groups `tool_call_response` parts.
 * Media parts (`uri`, `blob`, `file`) and parts we do not know stay as content parts instead of being dropped.
 */
import type { ContentPart, Message, ToolCall } from '../model/message.ts';
import { asRecord, asString, parseJson, toJsonText } from './attributes.ts';
import { contentToText, fromOpenAiMessage, normaliseRole, toolCall } from './messages.ts';

/** Converts a messages attribute (JSON string or structured AnyValue) into canonical messages. */
export function fromGenAiMessages(raw: unknown): Message[] {
  const parsed = parseJson(raw);
  if (!Array.isArray(parsed)) return parsed === undefined || parsed === null ? [] : [fromOpenAiMessage(parsed)];
  const out: Message[] = [];
  for (const item of parsed) appendGenAiMessage(out, item);
  return out;
}

/** `gen_ai.system_instructions` (a list of parts, or plain text) as one system message. */
export function fromSystemInstructions(raw: unknown): Message | undefined {
  const parsed = parseJson(raw);
  if (parsed === undefined || parsed === null || parsed === '') return undefined;
  if (!Array.isArray(parsed)) return { role: 'system', content: contentToText(parsed) };
  const converted: Message[] = [];
  appendGenAiMessage(converted, { role: 'system', parts: parsed });
  return converted[0];
}

function appendGenAiMessage(out: Message[], item: unknown): void {
  const record = asRecord(item);
  if (record === undefined || !Array.isArray(record.parts)) {
    // Older instrumentations put OpenAI-shaped messages here; keep them rather than dropping them.
    out.push(fromOpenAiMessage(item));
    return;
  }
  const role = normaliseRole(record.role);
  let text = '';
  let hasText = false;
  const parts: ContentPart[] = [];
  let mixed = false;
  const calls: ToolCall[] = [];
  const toolResults: Message[] = [];
  let reasoning: string | undefined;
  for (const rawPart of record.parts) {
    const part = asRecord(rawPart);
    if (part === undefined) continue;
    switch (part.type) {
      case 'text': {
        const partText = asString(part.content) ?? '';
        text += partText;
        hasText = true;
        parts.push({ type: 'text', text: partText });
        break;
      }
      case 'tool_call':
        calls.push(toolCall(part.id, part.name, part.arguments));
        break;
      case 'tool_call_response':
        toolResults.push(toolResultMessage(part));
        break;
      case 'reasoning':
        reasoning = (reasoning ?? '') + (asString(part.content) ?? '');
        break;
      default:
        // uri / blob / file / server tool calls / custom parts: kept whole as content parts.
        mixed = true;
        parts.push(
          typeof part.type === 'string' ? (part as ContentPart) : { type: 'unknown', value: toJsonText(part) },
        );
    }
  }
  const hasOwnMessage = hasText || mixed || calls.length > 0 || reasoning !== undefined || toolResults.length === 0;
  if (hasOwnMessage) {
    const content = mixed ? parts : hasText ? text : calls.length > 0 ? null : '';
    const message: Message = { role, content };
    if (calls.length > 0) message.tool_calls = calls;
    if (reasoning !== undefined) message.reasoning = reasoning;
    const name = asString(record.name);
    if (name !== undefined) message.name = name;
    const finishReason = asString(record.finish_reason);
    if (finishReason !== undefined) message.finish_reason = finishReason;
    out.push(message);
  }
  out.push(...toolResults);
}

/**
 * A `tool_call_response` part as a tool message. The schema names the payload `response`; the registry's own
 * example (and some emitters) use `result`. The schema defines no status, but allows extra properties: a boolean
 * `is_error` (Anthropic's name, which this product's instrumentation records from `tool_result` blocks) is kept.
 */
function toolResultMessage(part: Record<string, unknown>): Message {
  const message: Message = {
    role: 'tool',
    tool_call_id: asString(part.id)?.trim() ?? '',
    content: contentToText(part.response ?? part.result),
  };
  if (typeof part.is_error === 'boolean') message.is_error = part.is_error;
  return message;
}
