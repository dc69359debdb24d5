/**
 * The canonical chat message: OpenAI's chat-completions shape, which every telemetry convention is mapped onto.
 * Tool call arguments are always a JSON string (as OpenAI sends them), even when a convention recorded an object.
 */
import { z } from 'zod';

export const toolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({
    name: z.string(),
    /** JSON text of the arguments object. */
    arguments: z.string(),
  }),
});
export type ToolCall = z.infer<typeof toolCallSchema>;

export const messageRoleSchema = z.enum(['system', 'developer', 'user', 'assistant', 'tool']);
export type MessageRole = z.infer<typeof messageRoleSchema>;

/**
 * `content` is plain text, or `null` for an assistant message that only calls tools. Multi-part content
 * (images, audio) keeps OpenAI's content-part array shape.
 */
export const contentPartSchema = z.looseObject({ type: z.string() });
export type ContentPart = z.infer<typeof contentPartSchema>;

export const messageSchema = z.object({
  role: messageRoleSchema,
  content: z.union([z.string(), z.array(contentPartSchema), z.null()]),
  tool_calls: z.array(toolCallSchema).optional(),
  tool_call_id: z.string().optional(),
  name: z.string().optional(),
  reasoning: z.string().optional(),
  /**
   * Tool messages only: whether the tool failed, set only when the convention says so (Anthropic's `tool_result`
   * `is_error`, the AI SDK's `error-text` / `error-json` outputs, a LangChain ToolMessage's `status`). Absent means
   * the convention does not say: not an error.
   */
  is_error: z.boolean().optional(),
  /** Why the model stopped (output messages only): `stop`, `tool_calls`, `length`, ... */
  finish_reason: z.string().optional(),
});
export type Message = z.infer<typeof messageSchema>;

/** A tool the model was offered, in OpenAI's `tools` shape. */
export const toolDefinitionSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string(),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ToolDefinition = z.infer<typeof toolDefinitionSchema>;
