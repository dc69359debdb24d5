/**
 * Rows of the trajectory views as JSONEachRow returns them, turned into the API shapes of
 * src/model/trajectory.ts: JSON text columns become structured again, UInt64 strings become numbers.
 */
import type { Message } from '../model/message.ts';
import type {
  Annotations,
  Outcome,
  Reward,
  ToolExecution,
  TrajectorySummary,
  Turn,
  TurnCredit,
} from '../model/trajectory.ts';
import { parseJsonText } from '../store/json-text.ts';

type Numeric = number | string;

export interface SummaryRow extends Omit<
  TrajectorySummary,
  | 'duration_ms'
  | 'turn_count'
  | 'tool_call_count'
  | 'error_count'
  | 'input_tokens'
  | 'output_tokens'
  | 'final_reward'
  | 'complete'
> {
  duration_ms: Numeric;
  turn_count: Numeric;
  tool_call_count: Numeric;
  error_count: Numeric;
  input_tokens: Numeric;
  output_tokens: Numeric;
  final_reward: Numeric | null;
  final_reward_source: string;
  complete: boolean | number;
  root_trajectory_id: string;
  /** From the page query's join with trajectory_annotations (absent in other reads). */
  annotated?: Numeric | null;
  annotation_tags?: string[] | null;
  annotation_outcome?: string | null;
  annotation_human_reviewed?: Numeric | null;
  annotation_note?: string | null;
  annotation_updated_ms?: Numeric | null;
}

export interface TurnRow {
  index: Numeric;
  span_id: string;
  model: string;
  provider: string;
  status: Turn['status'];
  input_messages: string;
  new_messages: string;
  output_message: string;
  finish_reason: string;
  tool_calls: Array<
    Omit<ToolExecution, 'air_reward' | 'status' | 'result_source'> & {
      status: string;
      result_source: string;
      air_rule: string;
      air_reward: Numeric;
    }
  >;
  input_tokens: Numeric | null;
  output_tokens: Numeric | null;
  latency_ms: Numeric;
  start_time_unix_nano: string;
  air_reward: Numeric;
  tool_definitions: string;
}

export interface RewardRow extends Omit<Reward, 'value'> {
  value: Numeric;
}

export interface CreditRow {
  turn_index: Numeric;
  span_id: string;
  identical: Numeric | null;
  discounted: Numeric | null;
  air_shaped: Numeric | null;
  advantage: Numeric | null;
  group_size: Numeric | null;
  group_mean: Numeric | null;
  group_std: Numeric | null;
}

const optionalNumber = (value: Numeric | null): number | null => (value === null ? null : Number(value));

function annotationsOf(row: SummaryRow): Annotations | null | undefined {
  if (row.annotated === undefined) return undefined;
  if (Number(row.annotated ?? 0) !== 1) return null;
  return {
    tags: row.annotation_tags ?? [],
    outcome: row.annotation_outcome ? (row.annotation_outcome as Outcome) : null,
    human_reviewed: Number(row.annotation_human_reviewed ?? 0) === 1,
    note: row.annotation_note ?? '',
    updated_at: new Date(Number(row.annotation_updated_ms ?? 0)).toISOString(),
  };
}

export function toSummary(
  row: SummaryRow,
): TrajectorySummary & { final_reward_source: string; root_trajectory_id: string } {
  const {
    annotated: _annotated,
    annotation_tags: _tags,
    annotation_outcome: _outcome,
    annotation_human_reviewed: _reviewed,
    annotation_note: _note,
    annotation_updated_ms: _updated,
    ...columns
  } = row;
  const annotations = annotationsOf(row);
  return {
    ...columns,
    ...(annotations !== undefined ? { annotations } : {}),
    duration_ms: Number(row.duration_ms),
    turn_count: Number(row.turn_count),
    tool_call_count: Number(row.tool_call_count),
    error_count: Number(row.error_count),
    input_tokens: Number(row.input_tokens),
    output_tokens: Number(row.output_tokens),
    final_reward: optionalNumber(row.final_reward),
    complete: row.complete === true || row.complete === 1,
  };
}

export function toTurn(row: TurnRow): Turn & { tool_calls: Array<ToolExecution & { air_rule: string }> } {
  return {
    index: Number(row.index),
    span_id: row.span_id,
    model: row.model,
    provider: row.provider,
    status: row.status,
    input_messages: parseJsonText<Message[]>(row.input_messages, []),
    new_messages: parseJsonText<Message[]>(row.new_messages, []),
    output_message: row.output_message ? parseJsonText<Message | null>(row.output_message, null) : null,
    finish_reason: row.finish_reason,
    tool_calls: row.tool_calls.map((call) => ({
      name: call.name,
      call_id: call.call_id,
      arguments: call.arguments,
      result: call.result,
      status: call.status as ToolExecution['status'],
      result_source: call.result_source as ToolExecution['result_source'],
      span_id: call.span_id,
      air_rule: call.air_rule,
      air_reward: Number(call.air_reward),
    })),
    input_tokens: optionalNumber(row.input_tokens),
    output_tokens: optionalNumber(row.output_tokens),
    latency_ms: Number(row.latency_ms),
    start_time_unix_nano: row.start_time_unix_nano,
    air_reward: Number(row.air_reward),
  };
}

export function toReward(row: RewardRow): Reward {
  return { ...row, value: Number(row.value) };
}

export function toCredit(
  row: CreditRow,
): TurnCredit & { group_size: number | null; group_mean: number | null; group_std: number | null } {
  return {
    turn_index: Number(row.turn_index),
    span_id: row.span_id,
    identical: optionalNumber(row.identical),
    discounted: optionalNumber(row.discounted),
    air_shaped: optionalNumber(row.air_shaped),
    advantage: optionalNumber(row.advantage),
    group_size: optionalNumber(row.group_size),
    group_mean: optionalNumber(row.group_mean),
    group_std: optionalNumber(row.group_std),
  };
}
