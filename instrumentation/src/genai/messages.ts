/**
 * The GenAI semantic-convention message shapes (gen-ai-input-messages.json, gen-ai-output-messages.json,
 * gen-ai-system-instructions.json, gen-ai-tool-definitions.json) that provider mappers produce.
 */

export interface TextPart {
  type: 'text';
  content: string;
}
export interface ToolCallRequestPart {
  type: 'tool_call';
  id: string | null;
  name: string;
  /** The arguments object (parsed from the provider's JSON text when possible). */
  arguments: unknown;
}
export interface ToolCallResponsePart {
  type: 'tool_call_response';
  id: string | null;
  response: unknown;
  /**
   * Whether the tool failed, when the provider's request says so (Anthropic's `tool_result.is_error`). Not in the
   * conventions' schema, which defines no status but allows extra properties; the receiver reads it.
   */
  is_error?: boolean;
}
export interface ReasoningPart {
  type: 'reasoning';
  content: string;
}
export interface UriPart {
  type: 'uri';
  modality: string;
  uri: string;
  mime_type?: string;
}
export interface BlobPart {
  type: 'blob';
  modality: string;
  content: string;
  mime_type?: string;
}
/** A part type the conventions do not define (kept with its provider fields). */
export interface GenericPart {
  type: string;
  [field: string]: unknown;
}
export type MessagePart =
  TextPart | ToolCallRequestPart | ToolCallResponsePart | ReasoningPart | UriPart | BlobPart | GenericPart;

export interface InputMessage {
  role: string;
  parts: MessagePart[];
  name?: string;
}

/** `finish_reason` uses the conventions' values: stop, length, content_filter, tool_call, error. */
export interface OutputMessage extends InputMessage {
  finish_reason: string;
}

export interface ToolDefinition {
  type: string;
  name: string;
  description?: string;
  parameters?: unknown;
}

export type SystemInstructions = MessagePart[];

export function textPart(content: string): TextPart {
  return { type: 'text', content };
}

/** Whether an unknown value is a plain object (for reading provider payloads defensively). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(record: Record<string, unknown>, field: string): string | undefined {
  const value = record[field];
  return typeof value === 'string' ? value : undefined;
}

export function numberField(record: Record<string, unknown>, field: string): number | undefined {
  const value = record[field];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function recordField(record: Record<string, unknown>, field: string): Record<string, unknown> | undefined {
  const value = record[field];
  return isRecord(value) ? value : undefined;
}

export function arrayField(record: Record<string, unknown>, field: string): unknown[] | undefined {
  const value = record[field];
  return Array.isArray(value) ? value : undefined;
}
