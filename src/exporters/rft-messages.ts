/**
 * The prompt messages of the two reinforcement fine-tuning consumers, which disagree on the role of the
 * instructions. OpenAI's RFT input (`FineTuneReinforcementRequestInput` in the OpenAI API spec) takes developer,
 * user, assistant and tool messages only: a `system` message fails the file's validation, so the agent's system
 * prompt becomes a `developer` message, the role OpenAI's reasoning models take instructions from. Fireworks rows
 * are eval-protocol `EvaluationRow`s whose messages reach open models through their chat templates, which know
 * `system` and not `developer` (Qwen2.5's template renders no developer message at all), so there the
 * instructions stay `system`; eval-protocol's `Message.content` is text or text parts, so a prompt with an image
 * or other part is skipped with the reason rather than sent.
 */
import { z } from 'zod';
import type { Message } from '../model/message.ts';
import { mapAll, mapped, skip, type Mapped } from './conversion-outcome.ts';
import {
  contentSchema,
  openAIAssistantMessageSchema,
  openAIMessageFields,
  openAIToolCallSchema,
  toOpenAIMessage,
  toolMessageSchema,
  userMessageSchema,
} from './message-shapes.ts';
import { withParquetFieldOrder } from './writers/parquet-structure.ts';

const developerMessageSchema = z.object({
  role: z.literal('developer'),
  content: contentSchema,
  name: z.string().optional(),
});

export const openAIRftMessageSchema = withParquetFieldOrder(
  z.discriminatedUnion('role', [
    developerMessageSchema,
    userMessageSchema,
    openAIAssistantMessageSchema,
    toolMessageSchema,
  ]),
  openAIMessageFields,
);
export type OpenAIRftMessage = z.infer<typeof openAIRftMessageSchema>;

const textContentSchema = z.union([z.string(), z.array(z.object({ type: z.literal('text'), text: z.string() }))]);
type TextContent = z.infer<typeof textContentSchema>;

export const evaluationRowMessageSchema = withParquetFieldOrder(
  z.discriminatedUnion('role', [
    z.object({ role: z.literal('system'), content: textContentSchema, name: z.string().optional() }),
    z.object({ role: z.literal('user'), content: textContentSchema, name: z.string().optional() }),
    z.object({
      role: z.literal('assistant'),
      content: textContentSchema.nullable(),
      tool_calls: z.array(openAIToolCallSchema).min(1).optional(),
      name: z.string().optional(),
    }),
    z.object({ role: z.literal('tool'), content: textContentSchema, tool_call_id: z.string() }),
  ]),
  openAIMessageFields,
);
export type EvaluationRowMessage = z.infer<typeof evaluationRowMessageSchema>;

/** Canonical -> OpenAI RFT prompt message: system and developer instructions are `developer`. */
export function toOpenAIRftMessages(messages: readonly Message[]): Mapped<OpenAIRftMessage[]> {
  return mapAll(messages, (message) => {
    const result = toOpenAIMessage(message);
    if (result.status === 'skipped') return result;
    const value = result.value;
    return mapped(value.role === 'system' ? { ...value, role: 'developer' as const } : value);
  });
}

function textContent(content: NonNullable<Message['content']>, role: string): Mapped<TextContent> {
  if (typeof content === 'string') return mapped(content);
  const parts: Array<{ type: 'text'; text: string }> = [];
  for (const part of content) {
    const text = part['text'];
    if (part.type !== 'text' || typeof text !== 'string')
      return skip(`a ${role} message has content of type ${part.type} (eval-protocol messages take text only)`);
    parts.push({ type: 'text', text });
  }
  return mapped(parts);
}

/** Canonical -> eval-protocol (Fireworks) prompt message: developer instructions are `system`, content text only. */
export function toEvaluationRowMessages(messages: readonly Message[]): Mapped<EvaluationRowMessage[]> {
  return mapAll(messages, (message) => {
    const result = toOpenAIMessage(message);
    if (result.status === 'skipped') return result;
    const value = result.value;
    if (value.content === null) return mapped(value as EvaluationRowMessage);
    const content = textContent(value.content, value.role);
    if (content.status === 'skipped') return content;
    return mapped({ ...value, content: content.value });
  });
}
