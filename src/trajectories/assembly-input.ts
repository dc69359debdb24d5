/**
 * What trajectory assembly reads: the columns of `spans` the views use (queries/assembly-spans.sql), evaluation
 * log records, feedback rows and the AIR rule values. Rows arrive as JSONEachRow; this module turns them into
 * typed values once (timestamps as bigints, messages parsed) so the pure assembly functions never re-parse. The
 * span types are derived from the span row type (src/store/span-row.ts), so they follow its column names.
 */
import type { Message, ToolDefinition } from '../model/message.ts';
import { parseJsonArray } from '../store/json-text.ts';
import { TraceContents } from '../store/trace-contents.ts';
import type { SpanColumns, SpanRow } from '../store/span-row.ts';

/**
 * Columns assembly reads as they are stored: text, the kind and status enums, and the nanosecond timestamps as
 * decimal strings (as the API serves them). Picked from the span row type, so a renamed column fails to compile.
 */
type AssemblyTextColumn =
  | 'trace_id'
  | 'span_id'
  | 'parent_span_id'
  | 'kind'
  | 'status'
  | 'start_time_unix_nano'
  | 'end_time_unix_nano'
  | 'provider'
  | 'model'
  | 'tool_name'
  | 'tool_call_id'
  | 'tool_arguments'
  | 'tool_result'
  | 'agent_name'
  | 'agent_id'
  | 'conversation_id'
  | 'task_id'
  | 'task'
  | 'first_user_text'
  | 'rollout_id'
  | 'attempt_id'
  | 'error_type';

/** JSON text columns assembly parses; events are shipped only when they may hold an evaluation result. */
type AssemblyJsonColumn = 'input_messages' | 'output_messages' | 'tool_definitions' | 'events';

/** Token counts: assembly sums input and output; the analytics call rows (src/analytics/) carry all five. */
type AssemblyTokenColumn =
  'input_tokens' | 'output_tokens' | 'cache_read_tokens' | 'cache_creation_tokens' | 'reasoning_tokens';

export interface AssemblySpan
  extends
    Pick<SpanRow, AssemblyTextColumn | AssemblyTokenColumn | 'tool_definitions' | 'rewards'>,
    // Messages stay raw JSON (the views treat them so too); events are [] unless they may hold an evaluation result.
    SpanColumns<'input_messages' | 'output_messages' | 'events', unknown[]> {
  start: bigint;
  end: bigint;
  /** When the store received the span (`ingested_at`, filled by the store), in milliseconds. */
  ingested_ms: number;
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
  /** Trace id -> the conversation trajectory the stitcher put it in (stitch-conversations.ts). */
  stitches: ReadonlyMap<string, string>;
}

type Numeric = number | string;

/** A row of queries/assembly-spans.sql as JSONEachRow returns it. */
export interface AssemblySpanRow
  extends
    Pick<SpanRow, AssemblyTextColumn>,
    SpanColumns<AssemblyTokenColumn, Numeric | null>,
    SpanColumns<AssemblyJsonColumn, string>,
    // The query turns each (name, value) tuple into (name, toString(value)); a named tuple may arrive as an object.
    SpanColumns<'rewards', Array<[string, string] | { name: string; value: string }>> {
  /** toUnixTimestamp64Milli(ingested_at). */
  ingested_ms: Numeric;
  /** Refs into the trace's contents (content stored once, src/store/content-refs.ts); absent or empty when inline. */
  input_message_refs?: string[];
  output_message_refs?: string[];
  tool_definitions_ref?: string;
  tool_result_ref?: string;
}

const inlineOnly = new TraceContents();

const optionalNumber = (value: Numeric | null): number | null => (value === null ? null : Number(value));

/** The span assembly reads; its message lists resolved through the trace's contents when it refers to them. */
export function toAssemblySpan(row: AssemblySpanRow, contents: TraceContents = inlineOnly): AssemblySpan {
  const llm = row.kind === 'llm';
  return {
    trace_id: row.trace_id,
    span_id: row.span_id,
    parent_span_id: row.parent_span_id,
    kind: row.kind,
    status: row.status,
    start: BigInt(row.start_time_unix_nano),
    end: BigInt(row.end_time_unix_nano),
    start_time_unix_nano: row.start_time_unix_nano,
    end_time_unix_nano: row.end_time_unix_nano,
    ingested_ms: Number(row.ingested_ms),
    provider: row.provider,
    model: row.model,
    input_tokens: optionalNumber(row.input_tokens),
    output_tokens: optionalNumber(row.output_tokens),
    cache_read_tokens: optionalNumber(row.cache_read_tokens),
    cache_creation_tokens: optionalNumber(row.cache_creation_tokens),
    reasoning_tokens: optionalNumber(row.reasoning_tokens),
    error_type: row.error_type,
    input_messages: llm ? contents.list(row.trace_id, row.input_message_refs, row.input_messages) : [],
    output_messages: llm ? contents.list(row.trace_id, row.output_message_refs, row.output_messages) : [],
    tool_definitions: llm
      ? contents.whole<ToolDefinition>(row.trace_id, row.tool_definitions_ref, row.tool_definitions)
      : [],
    tool_name: row.tool_name,
    tool_call_id: row.tool_call_id,
    tool_arguments: row.tool_arguments,
    tool_result: contents.text(row.trace_id, row.tool_result_ref, row.tool_result),
    agent_name: row.agent_name,
    agent_id: row.agent_id,
    conversation_id: row.conversation_id,
    task_id: row.task_id,
    task: row.task,
    first_user_text: row.first_user_text,
    rollout_id: row.rollout_id,
    attempt_id: row.attempt_id,
    rewards: row.rewards.map((reward) =>
      Array.isArray(reward)
        ? { name: reward[0], value: Number(reward[1]) }
        : { name: reward.name, value: Number(reward.value) },
    ),
    events: parseJsonArray(row.events),
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
    trace_id: row.trace_id,
    span_id: row.span_id,
    name: row.evaluation_name,
    value: Number(row.evaluation_score),
    comment: row.evaluation_explanation,
    time: BigInt(row.time_unix_nano),
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
    trace_id: row.trace_id,
    trajectory_id: row.trajectory_id,
    name: row.name,
    value: Number(row.value),
    comment: row.comment,
    time: BigInt(row.time_unix_nano),
  };
}

/** Messages are kept as parsed JSON (the views treat them as raw JSON); the API shape is the canonical one. */
export type RawMessage = Message | Record<string, unknown>;
