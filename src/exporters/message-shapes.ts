/**
 * The two message dialects the formats write. OpenAI fine-tuning (and ART, Fireworks) keep tool call arguments
 * as JSON text and answer calls by `tool_call_id`; Hugging Face chat templates (TRL) take arguments as objects
 * and name the tool on the tool message. zod schemas here are shared by the format modules' record schemas.
 */
import { z } from 'zod';
import { contentPartSchema, type Message, type ToolDefinition } from '../model/message.ts';

/** Thrown inside a format when one trajectory cannot be expressed; the format turns it into a skip reason. */
export class SkipTrajectory extends Error {}

const contentSchema = z.union([z.string(), z.array(contentPartSchema)]);

export const openAIToolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

export const openAIMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: contentSchema, name: z.string().optional() }),
  z.object({ role: z.literal('user'), content: contentSchema, name: z.string().optional() }),
  z.object({
    role: z.literal('assistant'),
    content: contentSchema.nullable(),
    tool_calls: z.array(openAIToolCallSchema).min(1).optional(),
    name: z.string().optional(),
    weight: z.union([z.literal(0), z.literal(1)]).optional(),
  }),
  z.object({ role: z.literal('tool'), content: contentSchema, tool_call_id: z.string() }),
]);
export type OpenAIMessage = z.infer<typeof openAIMessageSchema>;

export const toolDefinitionOutputSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string(),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** Canonical -> OpenAI chat-completions message (developer becomes system: fine-tuning accepts four roles). */
export function toOpenAIMessage(message: Message): OpenAIMessage {
  switch (message.role) {
    case 'system':
    case 'developer':
    case 'user': {
      const role = message.role === 'user' ? 'user' : 'system';
      return { role, content: message.content ?? '', ...(message.name ? { name: message.name } : {}) };
    }
    case 'assistant': {
      const calls = message.tool_calls ?? [];
      return {
        role: 'assistant',
        content: message.content === '' && calls.length > 0 ? null : message.content,
        ...(calls.length > 0
          ? { tool_calls: calls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.function.name, arguments: call.function.arguments } })) }
          : {}),
      };
    }
    case 'tool':
      if (message.tool_call_id === undefined) throw new SkipTrajectory('tool message without tool_call_id');
      return { role: 'tool', content: message.content ?? '', tool_call_id: message.tool_call_id };
  }
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

export const trlMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(contentPartSchema)]),
  tool_calls: z
    .array(z.object({ type: z.literal('function'), function: z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()) }) }))
    .min(1)
    .optional(),
  /** Tool messages name the tool they answer, as TRL's tool-calling examples do. */
  name: z.string().optional(),
  tool_call_id: z.string().optional(),
});
export type TrlMessage = z.infer<typeof trlMessageSchema>;

function parseArguments(text: string, toolName: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new SkipTrajectory(`arguments of a ${toolName} call are not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SkipTrajectory(`arguments of a ${toolName} call are not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Canonical -> Hugging Face chat-template message: arguments as objects, tool messages with the tool's name
 * (resolved from the call they answer) and the call id kept for templates that use it.
 */
export function toTrlMessage(message: Message, toolNames: Map<string, string>): TrlMessage {
  const role = message.role === 'developer' ? 'system' : message.role;
  const content = message.content ?? '';
  if (role === 'assistant' && message.tool_calls && message.tool_calls.length > 0) {
    for (const call of message.tool_calls) toolNames.set(call.id, call.function.name);
    return {
      role,
      content,
      tool_calls: message.tool_calls.map((call) => ({
        type: 'function' as const,
        function: { name: call.function.name, arguments: parseArguments(call.function.arguments, call.function.name) },
      })),
    };
  }
  if (role === 'tool') {
    const name = message.name ?? (message.tool_call_id ? toolNames.get(message.tool_call_id) : undefined) ?? '';
    return { role, content, name, ...(message.tool_call_id ? { tool_call_id: message.tool_call_id } : {}) };
  }
  return { role, content };
}

export function toTrlMessages(messages: Message[], toolNames = new Map<string, string>()): TrlMessage[] {
  return messages.map((message) => toTrlMessage(message, toolNames));
}

/** ClickHouse structure fragments for Parquet output (see ExportFormat.parquetStructure). */
export const parquetOpenAIMessage =
  'Tuple(role String, content Nullable(String), tool_calls Array(Tuple(id String, type String, function Tuple(name String, arguments String))), tool_call_id Nullable(String), name Nullable(String))';
export const parquetTrlMessage =
  'Tuple(role String, content String, tool_calls Array(Tuple(type String, function Tuple(name String, arguments String))), name Nullable(String), tool_call_id Nullable(String))';
