/**
 * `trajectories stats [--by agent|task|model|tool] [--bucket hour|day] [filters] [--json]`: the analytics of
 * src/analytics/ as a readable table (or the API's JSON). Reads through the receiver's `/v1/analytics/*` by
 * default (the receiver owns the embedded store), or the store directly when a store location is given, as
 * `export` does (read-location.ts).
 */
import type { Command } from 'commander';
import { z } from 'zod';
import {
  analyticsBuckets,
  analyticsDimensions,
  analyticsFiltersSchema,
  analyticsGroupSchema,
  readAnalytics,
  type AnalyticsGroup,
  type AnalyticsGrouping,
} from '../src/analytics/read-analytics.ts';
import type { OptionTable } from '../src/config/option-definition.ts';
import { describeIssue } from '../src/trajectories/filters.ts';
import { addOptions, resolveFlags } from './command-options.ts';
import { callReceiver } from './receiver-request.ts';
import { filterOptions, outputOptions } from './export-options.ts';
import { chooseReadLocation, openReadStore, readLocationOptions, type ReadLocation } from './read-location.ts';

export const statsOptions = {
  by: {
    flag: '--by <dimension>',
    schema: z.enum(analyticsDimensions).optional(),
    description: `one row per ${analyticsDimensions.join(' | ')}`,
  },
  bucket: {
    flag: '--bucket <size>',
    schema: z.enum(analyticsBuckets).optional(),
    description: `one row per ${analyticsBuckets.join(' | ')} of the trajectories' start (UTC)`,
  },
  model: { flag: '--model <name>', schema: z.string().min(1).optional(), description: 'trajectories that called it' },
  json: { flag: '--json', schema: z.boolean().default(false), description: 'print the JSON the API answers' },
  tenant: outputOptions.tenant,
  since: filterOptions.since,
  until: filterOptions.until,
  agent: filterOptions.agent,
  task: filterOptions.task,
  ...readLocationOptions,
} satisfies OptionTable;

const groupsSchema = z.array(analyticsGroupSchema);

async function readThroughReceiver(
  location: Extract<ReadLocation, { kind: 'receiver' }>,
  grouping: AnalyticsGrouping,
  filters: Record<string, string>,
): Promise<AnalyticsGroup[]> {
  const query = new URLSearchParams(filters);
  let path = '/v1/analytics/summary';
  if (grouping === 'hour' || grouping === 'day') {
    path = '/v1/analytics/timeseries';
    query.set('bucket', grouping);
  } else if (grouping !== '') query.set('by', grouping);
  const text = await callReceiver(location, 'GET', `${path}?${query.toString()}`);
  const body = JSON.parse(text) as { summary?: unknown; groups?: unknown; buckets?: Array<{ start: string }> };
  const groups =
    body.summary !== undefined
      ? [body.summary]
      : (body.groups ?? body.buckets?.map(({ start, ...rest }) => ({ key: start, ...rest })));
  const parsed = groupsSchema.safeParse(groups);
  if (!parsed.success) throw new Error(`the receiver's answer is not analytics: ${describeIssue(parsed.error)}`);
  return parsed.data;
}

const integer = (value: number) => value.toLocaleString('en-US');
const decimal = (value: number | null, digits = 2) => (value === null ? '-' : value.toFixed(digits));
const percent = (value: number | null) => (value === null ? '-' : `${(value * 100).toFixed(1)}%`);
const milliseconds = (value: number | undefined) => (value === undefined ? '-' : `${Math.round(value)}`);

function cost(group: AnalyticsGroup): string {
  if (group.cost_usd !== null) return `$${group.cost_usd.toFixed(4)}`;
  // Unknown: show what is known and how much is not.
  return `>= $${group.priced_cost_usd.toFixed(4)} (${group.unpriced_calls} unpriced)`;
}

/** A plain-text table: a header, a rule and left-aligned first column, right-aligned numbers. */
export function formatStatsTable(groups: AnalyticsGroup[], keyHeader: string): string {
  const header = [
    keyHeader,
    'trajectories',
    'success',
    'reward mean',
    'turns/traj',
    'tool calls',
    'tool errors',
    'model calls',
    'tokens in',
    'tokens out',
    'cost',
    'model p50/p95 ms',
    'tool p50/p95 ms',
  ];
  const rows = groups.map((group) => [
    group.key === '' ? (keyHeader === 'all' ? 'all' : '(none)') : group.key,
    integer(group.trajectories),
    percent(group.success_rate),
    decimal(group.reward.mean, 3),
    decimal(group.turns.mean, 1),
    integer(group.tool_executions.count),
    percent(group.tool_executions.error_rate),
    integer(group.model_calls.count),
    integer(group.tokens.input),
    integer(group.tokens.output),
    cost(group),
    `${milliseconds(group.model_calls.latency_ms?.p50)}/${milliseconds(group.model_calls.latency_ms?.p95)}`,
    `${milliseconds(group.tool_executions.latency_ms?.p50)}/${milliseconds(group.tool_executions.latency_ms?.p95)}`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

export function addStatsCommand(program: Command): void {
  const command = program
    .command('stats')
    .description('trajectories, success, rewards, tokens, cost and latency, overall or per agent/task/model/tool/time');
  addOptions(command, statsOptions).action(async (parsed: Record<string, unknown>) => {
    const resolved = resolveFlags(statsOptions, parsed, process.env);
    const { values, origins } = resolved;
    if (values.by && values.bucket) throw new Error('pass either --by or --bucket, not both');
    const grouping: AnalyticsGrouping = values.by ?? values.bucket ?? '';
    const given: Record<string, string> = {};
    for (const key of ['agent', 'task', 'model', 'since', 'until'] as const) {
      const value = values[key];
      if (value !== undefined) given[key] = value;
    }
    const filters = analyticsFiltersSchema.safeParse(given);
    if (!filters.success) throw new Error(`--${describeIssue(filters.error)}`);
    const location = chooseReadLocation(resolved);
    let groups: AnalyticsGroup[];
    if (location.kind === 'store') {
      const store = await openReadStore(location, 'stats');
      try {
        groups = await readAnalytics(store.client, values.tenant, filters.data, grouping);
      } finally {
        await store.close();
      }
    } else {
      if (origins.tenant.source !== 'default')
        throw new Error(
          '--tenant applies when reading a store directly (--clickhouse-url / --data-dir); through the receiver the tenant is the one of --token',
        );
      groups = await readThroughReceiver(location, grouping, given);
    }
    if (values.json) {
      console.log(JSON.stringify(grouping === '' ? groups[0] : groups, null, 2));
      return;
    }
    if (groups.length === 0 || groups.every((group) => group.trajectories === 0)) {
      console.log('no trajectories match (summaries are written a few seconds after spans arrive)');
      return;
    }
    console.log(formatStatsTable(groups, grouping === '' ? 'all' : grouping));
  });
}
