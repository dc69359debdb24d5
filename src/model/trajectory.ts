/**
 * The assembled trajectory as `GET /v1/trajectories/{id}` serves it and as exporters consume it.
 * It is a zod schema because exports may read it back from a receiver's HTTP API (a trust boundary).
 */
import { z } from 'zod';
import { messageSchema, toolDefinitionSchema } from './message.ts';

export const outcomeSchema = z.enum(['success', 'failure', 'unknown']);
export type Outcome = z.infer<typeof outcomeSchema>;

export const rewardSourceSchema = z.enum(['span', 'evaluation', 'feedback']);
export type RewardSource = z.infer<typeof rewardSourceSchema>;

export const toolExecutionSchema = z.object({
  name: z.string(),
  call_id: z.string(),
  /** JSON text of the arguments. */
  arguments: z.string(),
  /** The tool's result as text, or null when nothing answered the call. */
  result: z.string().nullable(),
  /**
   * `ok` / `error` / `unset` from the answering tool span, or from the answering tool message when the
   * convention says whether the tool failed (Anthropic `is_error`); `unknown` when a tool message answered and
   * says nothing about failure; `missing` when nothing answered the call by the end of the trajectory.
   */
  status: z.enum(['ok', 'error', 'unset', 'unknown', 'missing']),
  /** Where the result came from: the `execute_tool` span, a `tool` message of a later call's input, or nowhere. */
  result_source: z.enum(['tool_span', 'message', 'none']),
  /** The `execute_tool` span that answered the call, '' when none did. */
  span_id: z.string(),
  /** AIR intermediate reward of this tool execution. */
  air_reward: z.number(),
});
export type ToolExecution = z.infer<typeof toolExecutionSchema>;

export const turnSchema = z.object({
  index: z.number().int(),
  span_id: z.string(),
  model: z.string(),
  provider: z.string(),
  status: z.enum(['ok', 'error', 'unset']),
  /** The full prompt of this LLM call (conversations repeat in every call). */
  input_messages: z.array(messageSchema),
  /** The messages of `input_messages` that earlier turns of this trajectory had not already shown. */
  new_messages: z.array(messageSchema),
  /** The assistant message the call produced, null when the call failed without output. */
  output_message: messageSchema.nullable(),
  finish_reason: z.string(),
  tool_calls: z.array(toolExecutionSchema),
  input_tokens: z.number().nullable(),
  output_tokens: z.number().nullable(),
  latency_ms: z.number(),
  start_time_unix_nano: z.string(),
  /** Sum of the AIR rewards of this turn (its own status plus its tool executions). */
  air_reward: z.number(),
  /** Token ids / logprobs when the spans carried them (Agent Lightning, vLLM-style attributes). */
  prompt_token_ids: z.array(z.number()).optional(),
  response_token_ids: z.array(z.number()).optional(),
  logprobs: z.array(z.number()).optional(),
});
export type Turn = z.infer<typeof turnSchema>;

export const rewardSchema = z.object({
  name: z.string(),
  value: z.number(),
  source: rewardSourceSchema,
  comment: z.string(),
  span_id: z.string(),
  time_unix_nano: z.string(),
});
export type Reward = z.infer<typeof rewardSchema>;

export const turnCreditSchema = z.object({
  turn_index: z.number().int(),
  span_id: z.string(),
  /** Every call gets the final reward (LightningRL's identical assignment). */
  identical: z.number().nullable(),
  /** gamma^(T-1-t) * final reward. */
  discounted: z.number().nullable(),
  /** AIR intermediate rewards from this turn on, plus the discounted final reward. */
  air_shaped: z.number().nullable(),
  /** Group-relative advantage of the trajectory (GRPO) over complete trajectories of the same task. */
  advantage: z.number().nullable(),
});
export type TurnCredit = z.infer<typeof turnCreditSchema>;

/** What people said about a trajectory (PATCH /v1/trajectories/{id}; src/trajectories/annotations.ts). */
export const annotationsSchema = z.object({
  tags: z.array(z.string()),
  /** The outcome a person set, overriding the computed one; null when the computed one stands. */
  outcome: outcomeSchema.nullable(),
  human_reviewed: z.boolean(),
  note: z.string(),
  /** RFC 3339. */
  updated_at: z.string(),
});
export type Annotations = z.infer<typeof annotationsSchema>;

export const trajectorySummarySchema = z.object({
  id: z.string(),
  tenant: z.string(),
  trace_id: z.string(),
  root_span_id: z.string(),
  parent_trajectory_id: z.string(),
  agent_name: z.string(),
  agent_id: z.string(),
  /** Task description, '' when unknown. */
  task: z.string(),
  /** Explicit task id, else a hash of the first user message: the grouping key for advantages and DPO pairs. */
  task_id: z.string(),
  conversation_id: z.string(),
  rollout_id: z.string(),
  attempt_id: z.string(),
  start_time_unix_nano: z.string(),
  end_time_unix_nano: z.string(),
  duration_ms: z.number(),
  turn_count: z.number().int(),
  tool_call_count: z.number().int(),
  error_count: z.number().int(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  final_reward: z.number().nullable(),
  /** The computed outcome, or the one a person set in the annotations. */
  outcome: outcomeSchema,
  complete: z.boolean(),
  /** Null when nobody annotated it; absent where annotations are not read (the summarizer's assembly). */
  annotations: annotationsSchema.nullable().optional(),
});
export type TrajectorySummary = z.infer<typeof trajectorySummarySchema>;

export const trajectorySchema = trajectorySummarySchema.extend({
  /** Union of the tool definitions offered to the model across the turns. */
  tools: z.array(toolDefinitionSchema),
  turns: z.array(turnSchema),
  rewards: z.array(rewardSchema),
  credit: z.array(turnCreditSchema),
});
export type Trajectory = z.infer<typeof trajectorySchema>;
