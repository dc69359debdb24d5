/**
 * Analytics of one tenant's trajectories: the filters (one zod schema for the API's query strings, the CLI and
 * library callers, with 400s naming the field), the one grouped query (analytics-groups.sql) and the shape of its
 * groups. The summary, the time series and the tool table are that query grouped by nothing or a dimension, by
 * hour or day, and by tool.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { loadSqlFile } from '../store/sql-files.ts';
import { maxUnixNanoseconds, trajectoryFiltersSchema } from '../trajectories/filters.ts';

export const analyticsDimensions = ['agent', 'task', 'model', 'tool'] as const;
export const analyticsBuckets = ['hour', 'day'] as const;

export const analyticsFiltersSchema = z.strictObject({
  agent: trajectoryFiltersSchema.shape.agent,
  /** Task id or exact task description, as the trajectory list takes it. */
  task: trajectoryFiltersSchema.shape.task,
  /** Trajectories that called this model; model-call measures count only its calls. */
  model: z.string().min(1).max(1000).optional(),
  since: trajectoryFiltersSchema.shape.since,
  until: trajectoryFiltersSchema.shape.until,
});
export type AnalyticsFilters = z.output<typeof analyticsFiltersSchema>;

export type AnalyticsGrouping = '' | (typeof analyticsDimensions)[number] | (typeof analyticsBuckets)[number];

const groupsQuery = new URL('./analytics-groups.sql', import.meta.url);

/** Most groups one answer holds (a time series of a year by hour is 8,760). */
export const maxAnalyticsGroups = 10_000;

const percentilesSchema = z.object({ p50: z.number(), p95: z.number(), p99: z.number() });
export type Percentiles = z.infer<typeof percentilesSchema>;

const callMeasuresSchema = z.object({
  count: z.number(),
  errors: z.number(),
  error_rate: z.number().nullable(),
  error_types: z.record(z.string(), z.number()),
  latency_ms: percentilesSchema.nullable(),
});

/** One group of an analytics answer (the API's JSON; clients such as `trajectories stats` parse it with this). */
export const analyticsGroupSchema = z.object({
  /** The agent name, task id, model, tool or bucket start (RFC 3339, UTC); '' for the one group of a summary. */
  key: z.string(),
  /** The task description of a task group; absent otherwise. */
  task: z.string().optional(),
  trajectories: z.number(),
  outcomes: z.object({ success: z.number(), failure: z.number(), unknown: z.number() }),
  /** Successes among trajectories with a known outcome; null when none has one. */
  success_rate: z.number().nullable(),
  reward: z.object({ count: z.number(), mean: z.number().nullable(), median: z.number().nullable() }),
  turns: z.object({ total: z.number(), mean: z.number() }),
  /** Tool calls the model made (requested in its outputs). */
  tool_calls: z.number(),
  /** Spans with error status in the trajectories. */
  errors: z.number(),
  model_calls: callMeasuresSchema,
  tool_executions: callMeasuresSchema,
  tokens: z.object({
    input: z.number(),
    output: z.number(),
    cache_read: z.number(),
    cache_creation: z.number(),
    reasoning: z.number(),
  }),
  /** USD; null when any call's cost is unknown (see `unpriced_calls` and `priced_cost_usd`). */
  cost_usd: z.number().nullable(),
  priced_cost_usd: z.number(),
  unpriced_calls: z.number(),
});
export type AnalyticsGroup = z.infer<typeof analyticsGroupSchema>;

type Numeric = number | string;

interface GroupRow {
  key: string;
  label: string;
  trajectories: Numeric;
  successes: Numeric;
  failures: Numeric;
  unknown_outcomes: Numeric;
  success_rate: number | null;
  rewarded: Numeric;
  reward_mean: number | null;
  reward_median: number | null;
  turns: Numeric;
  tool_calls: Numeric;
  errors: Numeric;
  model_calls: Numeric;
  model_call_errors: Numeric;
  model_error_types: Record<string, Numeric> | null;
  model_latency_ms: number[];
  input_tokens: Numeric;
  output_tokens: Numeric;
  cache_read_tokens: Numeric;
  cache_creation_tokens: Numeric;
  reasoning_tokens: Numeric;
  unpriced_calls: Numeric;
  priced_cost_usd: number;
  tool_executions: Numeric;
  tool_errors: Numeric;
  tool_error_types: Record<string, Numeric> | null;
  tool_latency_ms: number[];
}

const emptyGroupRow: GroupRow = {
  key: '',
  label: '',
  trajectories: 0,
  successes: 0,
  failures: 0,
  unknown_outcomes: 0,
  success_rate: null,
  rewarded: 0,
  reward_mean: null,
  reward_median: null,
  turns: 0,
  tool_calls: 0,
  errors: 0,
  model_calls: 0,
  model_call_errors: 0,
  model_error_types: null,
  model_latency_ms: [],
  input_tokens: 0,
  output_tokens: 0,
  cache_read_tokens: 0,
  cache_creation_tokens: 0,
  reasoning_tokens: 0,
  unpriced_calls: 0,
  priced_cost_usd: 0,
  tool_executions: 0,
  tool_errors: 0,
  tool_error_types: null,
  tool_latency_ms: [],
};

const percentiles = (values: number[]): Percentiles | null =>
  values.length === 3 ? { p50: values[0]!, p95: values[1]!, p99: values[2]! } : null;

const counts = (map: Record<string, Numeric> | null): Record<string, number> =>
  Object.fromEntries(Object.entries(map ?? {}).map(([name, count]) => [name, Number(count)]));

const rate = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

function toGroup(row: GroupRow, grouping: AnalyticsGrouping): AnalyticsGroup {
  const trajectories = Number(row.trajectories);
  const turns = Number(row.turns);
  const modelCalls = Number(row.model_calls);
  const modelErrors = Number(row.model_call_errors);
  const toolExecutions = Number(row.tool_executions);
  const toolErrors = Number(row.tool_errors);
  const unpriced = Number(row.unpriced_calls);
  return {
    key: row.key,
    ...(grouping === 'task' ? { task: row.label } : {}),
    trajectories,
    outcomes: {
      success: Number(row.successes),
      failure: Number(row.failures),
      unknown: Number(row.unknown_outcomes),
    },
    success_rate: row.success_rate,
    reward: { count: Number(row.rewarded), mean: row.reward_mean, median: row.reward_median },
    turns: { total: turns, mean: trajectories === 0 ? 0 : turns / trajectories },
    tool_calls: Number(row.tool_calls),
    errors: Number(row.errors),
    model_calls: {
      count: modelCalls,
      errors: modelErrors,
      error_rate: rate(modelErrors, modelCalls),
      error_types: counts(row.model_error_types),
      latency_ms: percentiles(row.model_latency_ms),
    },
    tool_executions: {
      count: toolExecutions,
      errors: toolErrors,
      error_rate: rate(toolErrors, toolExecutions),
      error_types: counts(row.tool_error_types),
      latency_ms: percentiles(row.tool_latency_ms),
    },
    tokens: {
      input: Number(row.input_tokens),
      output: Number(row.output_tokens),
      cache_read: Number(row.cache_read_tokens),
      cache_creation: Number(row.cache_creation_tokens),
      reasoning: Number(row.reasoning_tokens),
    },
    cost_usd: unpriced > 0 ? null : row.priced_cost_usd,
    priced_cost_usd: row.priced_cost_usd,
    unpriced_calls: unpriced,
  };
}

/** The tenant's trajectories matching `filters`, measured per group of `grouping` ('' = one group). */
export async function readAnalytics(
  client: ClickHouseClient,
  tenant: string,
  filters: AnalyticsFilters,
  grouping: AnalyticsGrouping,
  limit = maxAnalyticsGroups,
): Promise<AnalyticsGroup[]> {
  const result = await client.query({
    query: loadSqlFile(groupsQuery),
    query_params: {
      tenant,
      by: grouping,
      agent: filters.agent ?? '',
      task: filters.task ?? '',
      model: filters.model ?? '',
      since_ns: (filters.since ?? 0n).toString(),
      until_ns: (filters.until ?? maxUnixNanoseconds).toString(),
      limit,
    },
    format: 'JSONEachRow',
  });
  const rows = await result.json<GroupRow>();
  // Ungrouped, the one group is the whole selection, there even when it holds no trajectory.
  if (grouping === '' && rows.length === 0) rows.push(emptyGroupRow);
  return rows.map((row) => toGroup(row, grouping));
}
