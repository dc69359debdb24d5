/**
 * What trajectory assembly reads: the columns of `spans` the views use (queries/assembly-spans.sql), evaluation
 * log records, feedback rows and the AIR rule values. Rows arrive as JSONEachRow; this module turns them into
 * typed values once (timestamps as bigints, messages parsed) so the pure assembly functions never re-parse.
 */
import type { Message, ToolDefinition } from '../model/message.ts';
import type { SpanKind, SpanStatus } from '../model/span.ts';
import { parseJsonText } from '../store/json-text.ts';

export interface AssemblySpan {
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  kind: SpanKind;
  status: SpanStatus;
  start: bigint;
  end: bigint;
  /** Decimal strings as the API serves them. */
  start_time_unix_nano: string;
  end_time_unix_nano: string;
  ingested_ms: number;
  provider: string;
  model: string;
  input_tokens: number | null;
  output_tokens: number | null;
  input_messages: unknown[];
  output_messages: unknown[];
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
  rewards: Array<{ name: string; value: number }>;
  /** Span events, parsed only when they may hold an evaluation result ([] otherwise). */
  events: unknown[];
}

export interface EvaluationRecord {
  trace_id: string;
  span_id: string;
  name: string;
  value: number;
  comment: string;
  time: bigint;
}

export interface FeedbackRecord {
  trace_id: string;
  trajectory_id: string;
  name: string;
  value: number;
  comment: string;
  time: bigint;
}

/** AIR rule values by rule name; a rule absent from the table is worth 0, as in the views. */
export type AirRuleValues = ReadonlyMap<string, number>;

/** Everything assembly needs about a set of traces of one tenant. */
export interface AssemblyInput {
  tenant: string;
  spans: AssemblySpan[];
  evaluations: EvaluationRecord[];
  feedback: FeedbackRecord[];
  airRules: AirRuleValues;
}

type Numeric = number | string;

export interface AssemblySpanRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  kind: string;
  status: string;
  start_time_unix_nano: string;
  end_time_unix_nano: string;
  ingested_ms: Numeric;
  provider: string;
  model: string;
  input_tokens: Numeric | null;
  output_tokens: Numeric | null;
  input_messages: string;
  output_messages: string;
  tool_definitions: string;
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
  rewards: Array<[string, string] | { name: string; value: string }>;
  events: string;
}

/** A JSON array column; anything else (empty, damaged, not an array) reads as no items. */
function parseArray<T>(text: string): T[] {
  const value = parseJsonText<unknown>(text, []);
  return Array.isArray(value) ? (value as T[]) : [];
}

const optionalNumber = (value: Numeric | null): number | null => (value === null ? null : Number(value));

export function toAssemblySpan(row: AssemblySpanRow): AssemblySpan {
  return {
    trace_id: row.trace_id,
    span_id: row.span_id,
    parent_span_id: row.parent_span_id,
    kind: row.kind as SpanKind,
    status: row.status as SpanStatus,
    start: BigInt(row.start_time_unix_nano),
    end: BigInt(row.end_time_unix_nano),
    start_time_unix_nano: row.start_time_unix_nano,
    end_time_unix_nano: row.end_time_unix_nano,
    ingested_ms: Number(row.ingested_ms),
    provider: row.provider,
    model: row.model,
    input_tokens: optionalNumber(row.input_tokens),
    output_tokens: optionalNumber(row.output_tokens),
    input_messages: row.kind === 'llm' ? parseArray(row.input_messages) : [],
    output_messages: row.kind === 'llm' ? parseArray(row.output_messages) : [],
    tool_definitions: row.kind === 'llm' ? parseArray<ToolDefinition>(row.tool_definitions) : [],
    tool_name: row.tool_name,
    tool_call_id: row.tool_call_id,
    tool_arguments: row.tool_arguments,
    tool_result: row.tool_result,
    agent_name: row.agent_name,
    agent_id: row.agent_id,
    conversation_id: row.conversation_id,
    task_id: row.task_id,
    task: row.task,
    rollout_id: row.rollout_id,
    attempt_id: row.attempt_id,
    rewards: row.rewards.map((reward) =>
      Array.isArray(reward) ? { name: reward[0], value: Number(reward[1]) } : { name: reward.name, value: Number(reward.value) }),
    events: parseArray(row.events),
  };
}

export interface EvaluationRow {
  trace_id: string;
  span_id: string;
  evaluation_name: string;
  evaluation_score: Numeric;
  evaluation_explanation: string;
  time_unix_nano: string;
}

export function toEvaluationRecord(row: EvaluationRow): EvaluationRecord {
  return {
    trace_id: row.trace_id, span_id: row.span_id, name: row.evaluation_name, value: Number(row.evaluation_score),
    comment: row.evaluation_explanation, time: BigInt(row.time_unix_nano),
  };
}

export interface FeedbackRow {
  trace_id: string;
  trajectory_id: string;
  name: string;
  value: Numeric;
  comment: string;
  time_unix_nano: string;
}

export function toFeedbackRecord(row: FeedbackRow): FeedbackRecord {
  return {
    trace_id: row.trace_id, trajectory_id: row.trajectory_id, name: row.name, value: Number(row.value),
    comment: row.comment, time: BigInt(row.time_unix_nano),
  };
}

/** Messages are kept as parsed JSON (the views treat them as raw JSON); the API shape is the canonical one. */
export type RawMessage = Message | Record<string, unknown>;
