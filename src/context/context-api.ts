/**
 * The contract of context learning: what an agent asks (`examples`, `failures`, `tools`, `predict`, `search`) and
 * what it gets back. One set of zod schemas serves every door: the HTTP routes parse query strings and bodies with
 * the request schemas (values arrive as strings, hence the coercions), the MCP tools take the same shapes as their
 * argument schemas, and `trajectories mcp` (stdio, talking to a receiver over HTTP) validates the receiver's answers
 * with the response schemas, since they cross a process boundary. Field names are snake_case, as on the wire.
 */
import { z } from 'zod';
import { messageSchema } from '../model/message.ts';
import { outcomeSchema } from '../model/trajectory.ts';

const finiteNumber = z
  .union([z.number(), z.string().trim().min(1)])
  .pipe(z.coerce.number())
  .refine(Number.isFinite, 'must be a finite number');

/**
 * A whole number in [min, max]; from a query string only as decimal digits (`z.coerce` also took `1e1`, `0x3` and,
 * over MCP, `[1]`). The JSON schema MCP clients see stays `integer`.
 */
function boundedInteger(min: number, max: number) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
    z.number({ error: 'must be a whole number' }).int('must be a whole number').min(min).max(max),
  );
}

/** A task-sized text: every candidate is scored against it, so it is bounded. */
export const maxTaskTextLength = 2000;
const taskText = z.string().trim().min(1).max(maxTaskTextLength);
const agent = z.string().min(1).max(1000);
const taskId = z.string().min(1).max(10_000);

/** Trajectories one analysis (failures, tools) reads at most: the most recent ones that match. */
export const maxAnalysisSample = 5000;
export const defaultAnalysisSample = 500;

// ---------------------------------------------------------------------------------------------------- search

export const searchRequestSchema = z.strictObject({
  q: taskText,
  agent: agent.optional(),
  task_id: taskId.optional(),
  min_reward: finiteNumber.optional(),
  limit: boundedInteger(1, 100).default(10),
});
export type SearchRequest = z.output<typeof searchRequestSchema>;

export const searchHitSchema = z.object({
  trajectory_id: z.string(),
  trace_id: z.string(),
  agent_name: z.string(),
  task: z.string(),
  task_id: z.string(),
  outcome: outcomeSchema,
  final_reward: z.number().nullable(),
  turn_count: z.number().int(),
  tool_call_count: z.number().int(),
  /** In [0, 1], higher is closer; what it measures is named by `retrieval`. */
  similarity: z.number(),
});
export type SearchHit = z.infer<typeof searchHitSchema>;

/** `ngram`: lexical similarity computed by ClickHouse; `embeddings`: cosine of the configured endpoint's vectors. */
export const retrievalSchema = z.enum(['ngram', 'embeddings']);
export type Retrieval = z.infer<typeof retrievalSchema>;

export const searchResponseSchema = z.object({
  retrieval: retrievalSchema,
  trajectories: z.array(searchHitSchema),
});
export type SearchResponse = z.infer<typeof searchResponseSchema>;

// -------------------------------------------------------------------------------------------------- examples

export const examplesRequestSchema = z.strictObject({
  /** The task the agent is about to do. */
  task: taskText,
  agent: agent.optional(),
  task_id: taskId.optional(),
  /** Only trajectories whose final reward is at least this (they must also have succeeded). */
  min_reward: finiteNumber.optional(),
  /** How many examples at most. */
  limit: boundedInteger(1, 20).default(3),
  /** Token budget of all rendered examples together (counted with `tokenizer`). */
  max_tokens: boundedInteger(50, 32_000).default(2000),
});
export type ExamplesRequest = z.output<typeof examplesRequestSchema>;

export const exampleSchema = z.object({
  trajectory_id: z.string(),
  trace_id: z.string(),
  agent_name: z.string(),
  task: z.string(),
  similarity: z.number(),
  final_reward: z.number().nullable(),
  /** The compact rendering: task, tool calls with arguments and short results, final answer, reward. */
  text: z.string(),
  tokens: z.number().int(),
});
export type Example = z.infer<typeof exampleSchema>;

export const examplesResponseSchema = z.object({
  retrieval: retrievalSchema,
  /** The tokenizer that counted `tokens` (a real BPE, e.g. `o200k_base`). */
  tokenizer: z.string(),
  max_tokens: z.number().int(),
  /** Tokens of `prompt`, at most `max_tokens`. */
  tokens: z.number().int(),
  /** True when examples (or their tails) were left out to stay within the budget. */
  truncated: z.boolean(),
  examples: z.array(exampleSchema),
  /** All examples as one block of text to put in a system prompt, '' when there are none. */
  prompt: z.string(),
  /** The same examples as few-shot pairs: a user message with the task, an assistant message with how it went. */
  messages: z.array(messageSchema),
});
export type ExamplesResponse = z.infer<typeof examplesResponseSchema>;

// -------------------------------------------------------------------------------------------------- failures

export const failuresRequestSchema = z
  .strictObject({
    agent: agent.optional(),
    task_id: taskId.optional(),
    /** A task text: analyse the trajectories most similar to it. */
    task: taskText.optional(),
    /** A trajectory counts as failed when its outcome is failure or its final reward is below this. */
    max_reward: finiteNumber.optional(),
    /** Patterns per kind. */
    limit: boundedInteger(1, 50).default(10),
    /** Most recent matching trajectories analysed. */
    sample: boundedInteger(1, maxAnalysisSample).default(defaultAnalysisSample),
  })
  .refine((request) => request.agent ?? request.task_id ?? request.task, {
    error: 'give at least one of agent, task_id or task',
    path: ['agent'],
  });
export type FailuresRequest = z.output<typeof failuresRequestSchema>;

const exampleIds = z.array(z.string());

export const failuresResponseSchema = z.object({
  analyzed: z.object({ trajectories: z.number().int(), failed: z.number().int(), succeeded: z.number().int() }),
  /** Tools whose calls fail, by tool and error text (normalised: numbers and ids blanked). */
  tool_errors: z.array(
    z.object({
      tool: z.string(),
      error: z.string(),
      count: z.number().int(),
      /** Trajectories with this error, and how many of them failed. */
      trajectories: z.number().int(),
      failed_trajectories: z.number().int(),
      example_trajectory_ids: exampleIds,
    }),
  ),
  /** Where failed runs stop: the turn they end at and what they did last. */
  give_up_points: z.array(
    z.object({
      turn: z.number().int(),
      /** `answer`, `model_error`, or the last turn's last tool call (`error:<tool>` when it failed). */
      last_action: z.string(),
      /** The run's last tool call in any turn (`error:<tool>` when it failed): what it gave up after. */
      last_tool_call: z.string().nullable(),
      count: z.number().int(),
      example_trajectory_ids: exampleIds,
    }),
  ),
  /** Tool sequences (consecutive calls) seen more often before failure than before success. */
  sequences: z.array(
    z.object({
      sequence: z.array(z.string()),
      failed: z.number().int(),
      succeeded: z.number().int(),
      failure_rate: z.number(),
      example_trajectory_ids: exampleIds,
    }),
  ),
  /** The patterns as text an LLM reads well. */
  text: z.string(),
});
export type FailuresResponse = z.infer<typeof failuresResponseSchema>;

// ----------------------------------------------------------------------------------------------------- tools

export const toolsRequestSchema = z
  .strictObject({
    task: taskText.optional(),
    agent: agent.optional(),
    task_id: taskId.optional(),
    limit: boundedInteger(1, 100).default(10),
    sample: boundedInteger(1, maxAnalysisSample).default(defaultAnalysisSample),
  })
  .refine((request) => request.agent ?? request.task_id ?? request.task, {
    error: 'give at least one of task, agent or task_id',
    path: ['task'],
  });
export type ToolsRequest = z.output<typeof toolsRequestSchema>;

export const toolRecordSchema = z.object({
  name: z.string(),
  /** Calls of the tool in the analysed trajectories. */
  uses: z.number().int(),
  /** Share of those calls whose result was not an error. */
  call_success_rate: z.number(),
  /** Trajectories that called it, and the share of them that succeeded. */
  trajectories: z.number().int(),
  trajectory_success_rate: z.number(),
  /** The most frequent tool sequence it appears in (its neighbours), e.g. ["search", "fetch", "answer"]. */
  typical_sequence: z.array(z.string()),
  /** The ranking score (documented in the implementation), higher first. */
  score: z.number(),
});
export type ToolRecord = z.infer<typeof toolRecordSchema>;

export const toolsResponseSchema = z.object({
  scope: z.enum(['task', 'agent', 'task_id']),
  analyzed: z.object({ trajectories: z.number().int(), succeeded: z.number().int() }),
  tools: z.array(toolRecordSchema),
  text: z.string(),
});
export type ToolsResponse = z.infer<typeof toolsResponseSchema>;

// --------------------------------------------------------------------------------------------------- predict

export const candidateActionSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('tool_call'),
    name: z.string().min(1).max(200),
    /** JSON text or object; used to tell calls of one tool apart only where history has enough support. */
    arguments: z.union([z.string().max(100_000), z.record(z.string(), z.unknown())]).optional(),
  }),
  z.strictObject({ type: z.literal('answer'), content: z.string().max(100_000).optional() }),
]);
export type CandidateAction = z.infer<typeof candidateActionSchema>;

/** Bounded so one request cannot make the receiver score megabytes of history. */
export const maxPredictMessages = 200;

export const predictRequestSchema = z.strictObject({
  /** The conversation so far, OpenAI chat shape. */
  messages: z.array(messageSchema).min(1).max(maxPredictMessages),
  action: candidateActionSchema,
  agent: agent.optional(),
  task_id: taskId.optional(),
  /** Alternatives listed at most. */
  limit: boundedInteger(1, 50).default(5),
});
export type PredictRequest = z.output<typeof predictRequestSchema>;

export const outcomeEstimateSchema = z.object({
  /** `answer`, or the tool name. */
  action: z.string(),
  /** Share of supporting decision points whose trajectory succeeded; null without support. */
  success_rate: z.number().nullable(),
  mean_reward: z.number().nullable(),
  /** How many similar past decision points took this action. */
  support: z.number().int(),
  supporting_trajectory_ids: exampleIds,
});
export type OutcomeEstimate = z.infer<typeof outcomeEstimateSchema>;

export const predictResponseSchema = z.object({
  /** How similar states were found: the same tools so far in the same order, the same last step, or the task only. */
  match: z.enum(['same_history', 'same_last_step', 'same_task']),
  /** Decisions at similar states that were considered: each run counted once per distinct action it took there. */
  similar_states: z.number().int(),
  prediction: outcomeEstimateSchema,
  alternatives: z.array(outcomeEstimateSchema),
  text: z.string(),
});
export type PredictResponse = z.infer<typeof predictResponseSchema>;

// --------------------------------------------------------------------------------------------------- service

/**
 * What the MCP tools need, whoever answers: the receiver's own store (in-process) or a receiver reached over HTTP
 * (`trajectories mcp`). Requests are already validated; errors are thrown as `ContextRequestError` for bad input
 * and anything else for a failure on the answering side.
 */
export interface ContextService {
  search(request: SearchRequest): Promise<SearchResponse>;
  examples(request: ExamplesRequest): Promise<ExamplesResponse>;
  failures(request: FailuresRequest): Promise<FailuresResponse>;
  tools(request: ToolsRequest): Promise<ToolsResponse>;
  predict(request: PredictRequest): Promise<PredictResponse>;
}

/** A request the answering side refused as invalid (HTTP 400 / MCP invalid params), with a message naming the field. */
export class ContextRequestError extends Error {
  override readonly name = 'ContextRequestError';
}
