/**
 * The canonical span: one row of the `spans` table and one element of `GET /v1/traces/{trace_id}`.
 * Field names are the snake_case column names, so the store, the SQL views and the HTTP API share one vocabulary.
 *
 * The convention mappings fill the derived columns (kind, model, tokens, messages, tool fields, ...); the
 * original attributes, events and links are always kept as JSON so nothing an agent sent is ever dropped.
 */
import type { Message, ToolDefinition } from './message.ts';

export type SpanKind = 'llm' | 'tool' | 'agent' | 'reward' | 'other';
export type SpanStatus = 'ok' | 'error' | 'unset';

/** The telemetry convention a span was recognised as (the first mapping that claimed it). */
export type Convention = 'genai' | 'openinference' | 'openllmetry' | 'vercel-ai' | 'agent-lightning' | 'none';

export interface RewardValue {
  name: string;
  value: number;
}

/** What a convention mapping derives from one span. Every field is optional: mappings fill what they know. */
export interface SpanMapping {
  kind?: SpanKind;
  convention?: Convention;
  /** gen_ai.operation.name or its equivalent: chat, text_completion, generate_content, execute_tool, invoke_agent, ... */
  operation?: string;
  provider?: string;
  /** Request model (falls back to the response model). */
  model?: string;
  response_model?: string;
  response_id?: string;
  finish_reasons?: string[];
  input_tokens?: number;
  output_tokens?: number;
  cache_read_tokens?: number;
  cache_creation_tokens?: number;
  reasoning_tokens?: number;
  input_messages?: Message[];
  output_messages?: Message[];
  tool_definitions?: ToolDefinition[];
  tool_name?: string;
  tool_call_id?: string;
  /** JSON text. */
  tool_arguments?: string;
  /** Tool result as text (JSON text when the result was structured). */
  tool_result?: string;
  agent_name?: string;
  agent_id?: string;
  conversation_id?: string;
  task_id?: string;
  task?: string;
  rollout_id?: string;
  attempt_id?: string;
  rewards?: RewardValue[];
  error_type?: string;
}

/** A stored span, as the store returns it and the API serves it. */
export interface CanonicalSpan {
  tenant: string;
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  name: string;
  kind: SpanKind;
  span_kind: string;
  status: SpanStatus;
  status_message: string;
  /** Decimal string: nanosecond timestamps do not fit a JS number. */
  start_time_unix_nano: string;
  end_time_unix_nano: string;
  service_name: string;
  scope_name: string;
  scope_version: string;
  convention: Convention;
  operation: string;
  provider: string;
  model: string;
  response_model: string;
  response_id: string;
  finish_reasons: string[];
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_creation_tokens: number | null;
  reasoning_tokens: number | null;
  input_messages: Message[];
  output_messages: Message[];
  tool_definitions: ToolDefinition[];
  tool_name: string;
  tool_call_id: string;
  tool_arguments: string;
  tool_result: string;
  agent_name: string;
  agent_id: string;
  conversation_id: string;
  task_id: string;
  task: string;
  rollout_id: string;
  attempt_id: string;
  rewards: RewardValue[];
  error_type: string;
  attributes: Record<string, unknown>;
  resource_attributes: Record<string, unknown>;
  events: Array<{ time_unix_nano: string; name: string; attributes: Record<string, unknown> }>;
  links: Array<{ trace_id: string; span_id: string; trace_state: string; attributes: Record<string, unknown> }>;
}
