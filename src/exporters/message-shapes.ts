/**
 * The two message dialects the formats write. OpenAI fine-tuning (and ART, Fireworks) keep tool call arguments
 * as JSON text and answer calls by `tool_call_id`; Hugging Face chat templates (TRL) take arguments as objects
 * and name the tool on the tool message. zod schemas here are shared by the format modules' record schemas.
 * A message that cannot be expressed in a dialect is a `Skip` of its trajectory, with the reason.
 */
import { z } from 'zod';
import { contentPartSchema, type Message, type ToolDefinition } from '../model/message.ts';
import { mapAll, mapped, skip, type Mapped } from './conversion-outcome.ts';
import { storedAsJsonObject, storedAsJsonText, withParquetFieldOrder } from './writers/parquet-structure.ts';

export const contentSchema = z.union([z.string(), z.array(contentPartSchema)]);

export const openAIToolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

const systemMessageSchema = z.object({
  role: z.literal('system'),
  content: contentSchema,
  name: z.string().optional(),
});
export const userMessageSchema = z.object({
  role: z.literal('user'),
  content: contentSchema,
  name: z.string().optional(),
});
export const openAIAssistantMessageSchema = z.object({
  role: z.literal('assistant'),
  content: contentSchema.nullable(),
  tool_calls: z.array(openAIToolCallSchema).min(1).optional(),
  name: z.string().optional(),
});
export const toolMessageSchema = z.object({
  role: z.literal('tool'),
  content: contentSchema,
  tool_call_id: z.string(),
});

// The struct field order Parquet files have always had (see withParquetFieldOrder).
export const openAIMessageFields = ['role', 'content', 'tool_calls', 'tool_call_id', 'name'] as const;

export const openAIMessageSchema = withParquetFieldOrder(
  z.discriminatedUnion('role', [
    systemMessageSchema,
    userMessageSchema,
    openAIAssistantMessageSchema,
    toolMessageSchema,
  ]),
  openAIMessageFields,
);
export type OpenAIMessage = z.infer<typeof openAIMessageSchema>;

/** OpenAI supervised fine-tuning alone takes a per-message `weight` (0 or 1) on assistant messages. */
export const openAISftMessageSchema = withParquetFieldOrder(
  z.discriminatedUnion('role', [
    systemMessageSchema,
    userMessageSchema,
    openAIAssistantMessageSchema.extend({ weight: z.union([z.literal(0), z.literal(1)]).optional() }),
    toolMessageSchema,
  ]),
  [...openAIMessageFields, 'weight'],
);
export type OpenAISftMessage = z.infer<typeof openAISftMessageSchema>;

export const toolDefinitionOutputSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string(),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** A record's `tools`: JSON-schema parameters are free-form, so Parquet keeps the whole list as JSON text. */
export const toolDefinitionsSchema = storedAsJsonText(z.array(toolDefinitionOutputSchema));

/**
 * A TRL record's `tools`: a list with one JSON value per tool in Parquet, the `List(Json())` feature TRL's dataset
 * docs recommend, so `datasets` loads the definitions as objects.
 */
export const trlToolDefinitionsSchema = z.array(storedAsJsonObject(z.object({ ...toolDefinitionOutputSchema.shape })));

/** Canonical -> OpenAI chat-completions message (developer becomes system: fine-tuning accepts four roles). */
export function toOpenAIMessage(message: Message): Mapped<OpenAIMessage> {
  switch (message.role) {
    case 'system':
    case 'developer':
    case 'user': {
      const role = message.role === 'user' ? 'user' : 'system';
      return mapped({ role, content: message.content ?? '', ...(message.name ? { name: message.name } : {}) });
    }
    case 'assistant': {
      const calls = message.tool_calls ?? [];
      return mapped({
        role: 'assistant',
        content: message.content === '' && calls.length > 0 ? null : message.content,
        ...(calls.length > 0
          ? {
              tool_calls: calls.map((call) => ({
                id: call.id,
                type: 'function' as const,
                function: { name: call.function.name, arguments: call.function.arguments },
              })),
            }
          : {}),
      });
    }
    case 'tool':
      if (message.tool_call_id === undefined) return skip('tool message without tool_call_id');
      return mapped({ role: 'tool', content: message.content ?? '', tool_call_id: message.tool_call_id });
  }
}

export function toOpenAIMessages(messages: readonly Message[]): Mapped<OpenAIMessage[]> {
  return mapAll(messages, toOpenAIMessage);
}

export function toolDefinitions(tools: ToolDefinition[]): ToolDefinition[] {
  return tools.map((tool) => ({
    type: 'function',
    function: {
      name: tool.function.name,
      ...(tool.function.description !== undefined ? { description: tool.function.description } : {}),
      ...(tool.function.parameters !== undefined ? { parameters: tool.function.parameters } : {}),
    },
  }));
}

/**
 * In Parquet each TRL message is one JSON column value (declared JSON): a struct would give every message every
 * role's fields (an empty `tool_calls` list on a user message, which Llama-3.1's template rejects) and the call
 * arguments one fixed set of keys, or JSON text that chat templates encode a second time.
 */
export const trlMessageSchema = storedAsJsonObject(
  z.object({
    role: z.enum(['system', 'user', 'assistant', 'tool']),
    content: z.union([z.string(), z.array(contentPartSchema)]),
    tool_calls: z
      .array(
        z.object({
          type: z.literal('function'),
          function: z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()) }),
        }),
      )
      .min(1)
      .optional(),
    /** Tool messages name the tool they answer, as TRL's tool-calling examples do. */
    name: z.string().optional(),
    tool_call_id: z.string().optional(),
  }),
);
export type TrlMessage = z.infer<typeof trlMessageSchema>;

function parseArguments(text: string, toolName: string): Mapped<Record<string, unknown>> {
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    return skip(`arguments of a ${toolName} call are not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return skip(`arguments of a ${toolName} call are not a JSON object`);
  }
  return mapped(value as Record<string, unknown>);
}

/**
 * Canonical -> Hugging Face chat-template message: arguments as objects, tool messages with the tool's name
 * (resolved from the call they answer) and the call id kept for templates that use it.
 */
export function toTrlMessage(message: Message, toolNames: Map<string, string>): Mapped<TrlMessage> {
  const role = message.role === 'developer' ? 'system' : message.role;
  const content = message.content ?? '';
  if (role === 'assistant' && message.tool_calls && message.tool_calls.length > 0) {
    for (const call of message.tool_calls) toolNames.set(call.id, call.function.name);
    const calls = mapAll(message.tool_calls, (call) => {
      const parsed = parseArguments(call.function.arguments, call.function.name);
      return parsed.status === 'skipped'
        ? parsed
        : mapped({ type: 'function' as const, function: { name: call.function.name, arguments: parsed.value } });
    });
    if (calls.status === 'skipped') return calls;
    return mapped({ role, content, tool_calls: calls.value });
  }
  if (role === 'tool') {
    const name = message.name ?? (message.tool_call_id ? toolNames.get(message.tool_call_id) : undefined) ?? '';
    return mapped({ role, content, name, ...(message.tool_call_id ? { tool_call_id: message.tool_call_id } : {}) });
  }
  return mapped({ role, content });
}

export function toTrlMessages(
  messages: readonly Message[],
  toolNames = new Map<string, string>(),
): Mapped<TrlMessage[]> {
  return mapAll(messages, (message) => toTrlMessage(message, toolNames));
}
