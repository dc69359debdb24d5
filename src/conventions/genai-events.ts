/**
 * The deprecated per-message GenAI events (`gen_ai.system.message`, `gen_ai.user.message`,
 * `gen_ai.assistant.message`, `gen_ai.tool.message`, `gen_ai.choice`) and the older `gen_ai.content.prompt` /
 * `gen_ai.content.completion` span events. As log records the message is the body; as span events (which have
 * no body) the same fields arrive as event attributes, so both paths read one "body" record.
 */
import type { Message, MessageRole } from '../model/message.ts';
import { asRecord, asString, ownEntry, parseJson, readNumber } from './attributes.ts';
import { fromOpenAiMessage, readToolCalls } from './messages.ts';

const MESSAGE_EVENT_ROLES: Record<string, MessageRole> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};

export interface EventMessage {
  message: Message;
  direction: 'input' | 'output';
  index?: number;
}

export function isLegacyMessageEvent(name: string): boolean {
  return Object.hasOwn(MESSAGE_EVENT_ROLES, name) || name === 'gen_ai.choice';
}

/** The message a legacy event carries, from its body (log record) or its attributes (span event). */
export function messageFromLegacyEvent(name: string, body: unknown): EventMessage | undefined {
  const record = asRecord(parseJson(body));
  if (name === 'gen_ai.choice') {
    const choice = record ?? {};
    const message = fromOpenAiMessage(choice.message ?? { content: null }, 'assistant');
    // The spec lists tool_calls beside `message`; most emitters nest them inside it. Accept both.
    if (message.tool_calls === undefined) {
      const calls = readToolCalls(choice.tool_calls);
      if (calls.length > 0) message.tool_calls = calls;
    }
    const finishReason = asString(choice.finish_reason);
    if (finishReason !== undefined) message.finish_reason = finishReason;
    const index = readNumber(choice.index);
    return { message, direction: 'output', ...(index === undefined ? {} : { index }) };
  }
  const role = ownEntry(MESSAGE_EVENT_ROLES, name);
  if (role === undefined) return undefined;
  const message = fromOpenAiMessage(record ?? { content: body }, role);
  if (role === 'assistant' && message.content === '' && message.tool_calls !== undefined) message.content = null;
  return { message, direction: 'input' };
}
