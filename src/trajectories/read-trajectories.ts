/**
 * Reading trajectories: the functions the HTTP API and the exporters share. The SQL views (the .sql files beside
 * the assembly modules) define the rules; this fast path implements the same rules in TypeScript because planning the nested views costs far more
 * than reading the data (test/trajectories/views-agree.test.ts keeps both in step).
 *
 * - One trajectory: point reads of its traces' spans, evaluation records and feedback plus one GRPO group-stats
 *   query on `trajectory_summaries`, all in parallel, then assembly in TypeScript. Always live: it never depends
 *   on the summarizer having caught up (the group's other members come from summaries).
 * - A batch (exports): one read of all the batch's traces; the AIR rules and group statistics once per batch, or
 *   from a `BatchReadContext` that read them once per export (src/exporters/trajectory-source.ts).
 * - A list page: one query on `trajectory_summaries FINAL`, every filter bound, keyset pagination in the list's
 *   order (newest first, or by a column: list-order.ts). As fresh as the summarizer
 *   (collector/summaries/summarizer.ts).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Trajectory, TrajectorySummary } from '../model/trajectory.ts';
import {
  assembleTrajectoriesYielding,
  toTrajectory,
  type AssembledSummary,
  type AssembledTrajectory,
} from './assemble-trajectory.ts';
import { addToGroup, emptyGroup, type GroupStats } from './credit.ts';
import { decodeCursor, encodeCursor, type TrajectoryCursor } from './cursor.ts';
import type { TrajectoryFilters } from './filters.ts';
import { defaultListOrder, type SortOrder, type TrajectoryListOrder, type TrajectorySort } from './list-order.ts';
import type { AirRuleValues } from './assembly-input.ts';
import { queryRows, readAssemblyInput } from './read-assembly-input.ts';
import { openQuietSeconds, resolveTrajectorySettings, type TrajectorySettings } from './settings.ts';
import { readAnnotations } from './annotations.ts';
import { parseTrajectoryId, traceIdsForTrajectories, traceIdsForTrajectory } from './trajectory-id.ts';
import { toSummary, type SummaryRow } from './trajectory-rows.ts';

export interface TrajectoryPage {
  trajectories: TrajectorySummary[];
  next_cursor: string | null;
}

export interface TrajectoryPageRequest {
  /** 1-1000. */
  limit: number;
  /** `next_cursor` of the previous page, made for the same sort and order. */
  cursor?: string | undefined;
  /** @default 'start_time' */
  sort?: TrajectorySort | undefined;
  /** @default 'desc' */
  order?: SortOrder | undefined;
}

/** A row of trajectory-summary-page.sql: a summary and its position in the list's order. */
interface PageRow extends SummaryRow {
  /** A number; a string when the server quotes floats; null (or "-inf" with quoted denormals) for -inf. */
  sort_key: number | string | null;
}

/** The row's sort key as the cursor carries it: finite, or null for -inf (a trajectory without a value). */
function sortKeyOf(row: PageRow): number | null {
  const key = typeof row.sort_key === 'string' ? Number(row.sort_key) : row.sort_key;
  return key !== null && Number.isFinite(key) ? key : null;
}

/**
 * The IEEE 754 bits of a cursor's key (null is -inf): the query compares the key exactly, whatever float parser
 * the server has (before 26.7 ClickHouse parsed decimal text with a fast algorithm that is not always exact).
 */
function float64Bits(key: number | null): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, key ?? -Infinity);
  return view.getBigUint64(0).toString();
}

function toPageSummary({ sort_key: _sortKey, ...row }: PageRow) {
  return toSummary(row);
}

const maxUInt64 = 18_446_744_073_709_551_615n;
/** Upper bound of summaries returned for a set of traces (search candidates). */
const maxSummariesOfTraces = 10_000;

function summaryPageParams(
  tenant: string,
  filters: TrajectoryFilters,
  settings: TrajectorySettings,
  page: { limit: number; order: TrajectoryListOrder; after?: TrajectoryCursor | undefined },
) {
  // With a filter the annotations decide, the inner query cannot stop at the page (trajectory-summary-page.sql).
  const annotationFilter =
    filters.outcome !== undefined || filters.tag !== undefined || filters.human_reviewed !== undefined;
  return {
    inner_limit: annotationFilter ? '18446744073709551615' : String(page.limit),
    tenant,
    trace_ids: [] as string[],
    trace_id: filters.trace_id ?? '',
    since: (filters.since ?? 0n).toString(),
    until: (filters.until ?? maxUInt64).toString(),
    agent: filters.agent ?? '',
    task: filters.task ?? '',
    outcome: filters.outcome ?? '',
    tag: filters.tag ?? '',
    human_reviewed: filters.human_reviewed ?? null,
    min_reward: filters.min_reward ?? null,
    max_reward: filters.max_reward ?? null,
    complete: filters.complete ?? null,
    quiet_seconds: settings.quietSeconds,
    open_quiet_seconds: openQuietSeconds(settings),
    sort: page.order.sort,
    order: page.order.order,
    after_cursor: page.after !== undefined,
    cursor_key_bits: float64Bits(page.after ? page.after.key : 0),
    cursor_start: page.after?.start ?? '0',
    cursor_id: page.after?.id ?? '',
    limit: page.limit,
  };
}

/** Stored summaries of the given traces that pass the filters (search uses it for its candidates). */
export async function readSummaries(
  client: ClickHouseClient,
  tenant: string,
  traceIds: string[],
  filters: TrajectoryFilters,
  settings: TrajectorySettings,
): Promise<AssembledSummary[]> {
  // An empty list would mean "every trace" to the query.
  if (traceIds.length === 0) return [];
  const rows = await queryRows<PageRow>(client, 'queries/trajectory-summary-page.sql', {
    ...summaryPageParams(tenant, filters, settings, { limit: maxSummariesOfTraces, order: defaultListOrder }),
    trace_ids: traceIds,
  });
  return rows.map(toPageSummary);
}

export async function listTrajectories(
  client: ClickHouseClient,
  tenant: string,
  filters: TrajectoryFilters,
  page: TrajectoryPageRequest,
  options: Partial<TrajectorySettings> = {},
): Promise<TrajectoryPage> {
  const settings = resolveTrajectorySettings(options);
  const limit = Math.max(1, Math.min(1000, Math.floor(page.limit)));
  const order: TrajectoryListOrder = {
    sort: page.sort ?? defaultListOrder.sort,
    order: page.order ?? defaultListOrder.order,
  };
  const after = page.cursor ? decodeCursor(page.cursor, order) : undefined;
  // One more than asked tells whether another page exists.
  const rows = await queryRows<PageRow>(
    client,
    'queries/trajectory-summary-page.sql',
    summaryPageParams(tenant, filters, settings, { limit: limit + 1, order, after }),
  );
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  const next = last
    ? encodeCursor({ ...order, key: sortKeyOf(last), start: last.start_time_unix_nano, id: last.id })
    : null;
  return { trajectories: rows.slice(0, limit).map(toPageSummary), next_cursor: next };
}

interface GroupStatsRow {
  task_id: string;
  members: number | string;
  mean: number | string | null;
  variance: number | string | null;
}

function toGroupStats(row: GroupStatsRow | undefined): GroupStats {
  const members = Number(row?.members ?? 0);
  if (!row || members === 0) return emptyGroup;
  return { members, mean: Number(row.mean ?? 0), variance: Number(row.variance ?? 0) };
}

async function readGroupStats(
  client: ClickHouseClient,
  tenant: string,
  traceIds: string[],
  taskIds: string[],
  settings: TrajectorySettings,
): Promise<GroupStatsRow[]> {
  return queryRows<GroupStatsRow>(client, 'queries/trajectory-group-stats.sql', {
    tenant,
    trace_ids: traceIds,
    task_ids: taskIds,
    quiet_seconds: settings.quietSeconds,
    open_quiet_seconds: openQuietSeconds(settings),
  });
}

/**
 * The stored group statistics of `taskIds` (complete trajectories with a final reward in `trajectory_summaries`),
 * leaving out the members stored for `traceIds` (the caller counts those with their live values).
 */
export async function readStoredGroupStats(
  client: ClickHouseClient,
  tenant: string,
  traceIds: string[],
  taskIds: string[],
  options: Partial<TrajectorySettings> = {},
): Promise<Map<string, GroupStats>> {
  if (taskIds.length === 0) return new Map();
  const wanted = new Set(taskIds);
  const rows = await readGroupStats(client, tenant, traceIds, taskIds, resolveTrajectorySettings(options));
  return new Map(rows.filter((row) => wanted.has(row.task_id)).map((row) => [row.task_id, toGroupStats(row)]));
}

/** What a batch read passes to a group-statistics reader: the batch's traces, its tasks, its live trajectories. */
export interface GroupStatsRequest {
  traceIds: string[];
  /** The live task ids of the requested trajectories (non-empty ids only). */
  taskIds: string[];
  /** Every trajectory assembled from `traceIds`, requested or not, with its live values. */
  assembled: AssembledTrajectory[];
}

/**
 * What several batch reads may share (one export reads many batches): the AIR rule values, and group statistics
 * worked out from a per-export read instead of one query per batch. Each must answer as the per-batch reads do.
 */
export interface BatchReadContext {
  airRules?: AirRuleValues | undefined;
  groupStats?: ((request: GroupStatsRequest) => Promise<Map<string, GroupStats>>) | undefined;
}

/**
 * For readers that use neither advantages nor credit (context learning reads tool calls, answers, outcomes and
 * rewards): the group-statistics query is skipped, and the trajectories' advantages are computed against no group.
 */
export const withoutGroupStats: BatchReadContext = { groupStats: () => Promise.resolve(new Map()) };

/** Every trajectory of `traceIds`, assembled live, with the clock of this call. */
async function assembleLive(
  client: ClickHouseClient,
  tenant: string,
  traceIds: string[],
  settings: TrajectorySettings,
  airRules?: AirRuleValues,
): Promise<AssembledTrajectory[]> {
  const input = await readAssemblyInput(client, tenant, traceIds, airRules);
  return assembleTrajectoriesYielding(input, {
    nowMillis: Date.now(),
    quietSeconds: settings.quietSeconds,
    stitchWindowSeconds: settings.stitchWindowSeconds,
  });
}

/** The live summary of one trajectory (feedback resolves its trace through this), undefined when unknown. */
export async function findTrajectorySummary(
  client: ClickHouseClient,
  tenant: string,
  id: string,
  options: Partial<TrajectorySettings> = {},
): Promise<AssembledSummary | undefined> {
  if (!parseTrajectoryId(id)) return undefined;
  const traceIds = await traceIdsForTrajectory(client, tenant, id);
  const trajectories = await assembleLive(client, tenant, traceIds, resolveTrajectorySettings(options));
  return trajectories.find((trajectory) => trajectory.summary.id === id)?.summary;
}

/** The requested trajectories' live task ids, in request order, once each. */
function requestedTaskIds(ids: string[], byId: Map<string, AssembledTrajectory>): string[] {
  const tasks = new Set(ids.map((id) => byId.get(id)?.summary.task_id ?? '').filter((taskId) => taskId !== ''));
  return [...tasks];
}

/**
 * Group statistics as one batch read works them out alone: one query beside the span reads (it guesses the task
 * ids from the stored summaries of these traces), a second one for task ids it missed, then the batch's own
 * members with their live values (their stored summaries were left out).
 */
async function batchGroupStats(
  client: ClickHouseClient,
  tenant: string,
  ids: string[],
  traceIds: string[],
  settings: TrajectorySettings,
  airRules: AirRuleValues | undefined,
): Promise<{ trajectories: AssembledTrajectory[]; groups: Map<string, GroupStats> }> {
  const [trajectories, stats] = await Promise.all([
    assembleLive(client, tenant, traceIds, settings, airRules),
    readGroupStats(client, tenant, traceIds, [], settings),
  ]);
  const byId = new Map(trajectories.map((trajectory) => [trajectory.summary.id, trajectory]));
  const requestedTasks = requestedTaskIds(ids, byId);
  const storedByTask = new Map(stats.map((row) => [row.task_id, row]));
  // Stored summaries had other task ids (not summarized yet, or stale): ask for the missing ones.
  const missing = requestedTasks.filter((taskId) => !storedByTask.has(taskId));
  if (missing.length > 0) {
    for (const row of await readGroupStats(client, tenant, traceIds, missing, settings))
      storedByTask.set(row.task_id, row);
  }
  const groups = new Map<string, GroupStats>();
  for (const taskId of requestedTasks) {
    let group = toGroupStats(storedByTask.get(taskId));
    for (const { summary } of trajectories) {
      if (summary.task_id === taskId && summary.final_reward !== null && summary.complete)
        group = addToGroup(group, summary.final_reward);
    }
    groups.set(taskId, group);
  }
  return { trajectories, groups };
}

/**
 * Several trajectories at once (exports read them in batches): one batched read of all their traces, their
 * group statistics (one query for all their tasks, or from `context`), then assembly. Unknown ids come back as
 * undefined, in place.
 */
export async function getTrajectories(
  client: ClickHouseClient,
  tenant: string,
  ids: string[],
  options: Partial<TrajectorySettings> = {},
  context: BatchReadContext = {},
): Promise<Array<Trajectory | undefined>> {
  const settings = resolveTrajectorySettings(options);
  const traceIds = await traceIdsForTrajectories(client, tenant, ids);
  if (traceIds.length === 0) return ids.map(() => undefined);
  let trajectories: AssembledTrajectory[];
  let groups: Map<string, GroupStats>;
  if (context.groupStats) {
    trajectories = await assembleLive(client, tenant, traceIds, settings, context.airRules);
    const byId = new Map(trajectories.map((trajectory) => [trajectory.summary.id, trajectory]));
    groups = await context.groupStats({ traceIds, taskIds: requestedTaskIds(ids, byId), assembled: trajectories });
  } else {
    ({ trajectories, groups } = await batchGroupStats(client, tenant, ids, traceIds, settings, context.airRules));
  }
  const byId = new Map(trajectories.map((trajectory) => [trajectory.summary.id, trajectory]));
  const annotations = await readAnnotations(client, tenant, ids);
  return ids.map((id) => {
    const trajectory = byId.get(id);
    if (!trajectory) return undefined;
    const assembled = toTrajectory(trajectory, groups.get(trajectory.summary.task_id) ?? emptyGroup, settings.gamma);
    const annotation = annotations.get(id) ?? null;
    // A person's outcome overrides the computed one, as in the list (trajectory-summary-page.sql).
    return { ...assembled, outcome: annotation?.outcome ?? assembled.outcome, annotations: annotation };
  });
}

export async function getTrajectory(
  client: ClickHouseClient,
  tenant: string,
  id: string,
  options: Partial<TrajectorySettings> = {},
): Promise<Trajectory | undefined> {
  const [trajectory] = await getTrajectories(client, tenant, [id], options);
  return trajectory;
}
