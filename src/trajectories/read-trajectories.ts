/**
 * Reading trajectories: the functions the HTTP API and the exporters share. Both read the SQL views
 * (src/store/migrations/0003_trajectory_views.sql) so the API, the exports and users' own SQL agree.
 *
 * Listing pages through `trace_index` newest first and assembles summaries only for the page's traces, so a
 * page costs the same with a thousand traces or a million. Trajectory-level filters (outcome, reward, ...) run
 * on the assembled summaries; a page that filters most traces away scans at most `maxScannedTraces` traces and
 * then returns what it found with a cursor to continue, so no request walks the whole tenant.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Trajectory, TrajectorySummary } from '../model/trajectory.ts';
import { loadSql } from '../store/sql-files.ts';
import { decodeCursor, encodeCursor, type TrajectoryCursor } from './cursor.ts';
import type { TrajectoryFilters } from './filters.ts';
import { resolveTrajectorySettings, type TrajectorySettings } from './settings.ts';
import { traceIdsForTrajectory } from './trajectory-id.ts';
import {
  toCredit, toReward, toSummary, toTurn, unionToolDefinitions,
  type CreditRow, type RewardRow, type SummaryRow, type TurnRow,
} from './trajectory-rows.ts';

export interface TrajectoryPage {
  trajectories: TrajectorySummary[];
  next_cursor: string | null;
}

/** Upper bound on traces examined for one page when trajectory-level filters discard most of them. */
const maxScannedTraces = 2_000;
const maxUInt64 = 18_446_744_073_709_551_615n;

async function queryRows<T>(client: ClickHouseClient, file: string, params: Record<string, unknown>): Promise<T[]> {
  const result = await client.query({ query: loadSql(file), query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

export async function readSummaries(
  client: ClickHouseClient,
  tenant: string,
  traceIds: string[],
  filters: TrajectoryFilters & { id?: string },
  settings: TrajectorySettings,
): Promise<Array<ReturnType<typeof toSummary>>> {
  // An empty list would mean "every trace" to the view.
  if (traceIds.length === 0) return [];
  const rows = await queryRows<SummaryRow>(client, 'queries/trajectory-summaries.sql', {
    tenant,
    trace_ids: traceIds,
    quiet_seconds: settings.quietSeconds,
    id: filters.id ?? '',
    agent: filters.agent ?? '',
    task: filters.task ?? '',
    outcome: filters.outcome ?? '',
    min_reward: filters.min_reward ?? null,
    max_reward: filters.max_reward ?? null,
    complete: filters.complete ?? null,
  });
  return rows.map(toSummary);
}

export async function listTrajectories(
  client: ClickHouseClient,
  tenant: string,
  filters: TrajectoryFilters,
  page: { limit: number; cursor?: string | undefined },
  options: Partial<TrajectorySettings> = {},
): Promise<TrajectoryPage> {
  const settings = resolveTrajectorySettings(options);
  const limit = Math.max(1, Math.min(1000, Math.floor(page.limit)));
  let cursor: TrajectoryCursor | undefined = page.cursor ? decodeCursor(page.cursor) : undefined;
  const collected: Array<{ summary: TrajectorySummary; traceStart: string }> = [];
  // Over-fetch traces: most hold one trajectory, filters drop some.
  const chunk = Math.min(500, Math.max(limit + 1, 20));
  let scanned = 0;
  while (collected.length <= limit && scanned < maxScannedTraces) {
    const traces = await queryRows<{ trace_id: string; start_ns: string }>(client, 'queries/trajectory-trace-page.sql', {
      tenant,
      trace_id: filters.trace_id ?? '',
      since: (filters.since ?? 0n).toString(),
      until: (filters.until ?? maxUInt64).toString(),
      agent: filters.agent ?? '',
      task: filters.task ?? '',
      after_cursor: cursor !== undefined,
      cursor_start: cursor?.start ?? '0',
      cursor_trace: cursor?.trace ?? '',
      limit: chunk,
    });
    if (traces.length === 0) {
      cursor = undefined;
      break;
    }
    scanned += traces.length;
    const summaries = await readSummaries(client, tenant, traces.map((trace) => trace.trace_id), filters, settings);
    const byTrace = new Map<string, TrajectorySummary[]>();
    for (const summary of summaries) {
      const list = byTrace.get(summary.trace_id) ?? [];
      list.push(summary);
      byTrace.set(summary.trace_id, list);
    }
    for (const trace of traces) {
      const inTrace = (byTrace.get(trace.trace_id) ?? []).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      for (const summary of inTrace) {
        // The cursor's trace is re-read: skip what the previous page already returned.
        if (cursor && trace.trace_id === cursor.trace && summary.id <= cursor.after) continue;
        collected.push({ summary, traceStart: trace.start_ns });
      }
    }
    const last = traces[traces.length - 1] as { trace_id: string; start_ns: string };
    // Continue strictly after the last trace of this chunk ('~' sorts after every id: the whole trace is done).
    cursor = { start: last.start_ns, trace: last.trace_id, after: '~' };
    if (traces.length < chunk) {
      cursor = collected.length > limit ? cursor : undefined;
      break;
    }
  }
  const trajectories = collected.slice(0, limit).map((entry) => entry.summary);
  let next: TrajectoryCursor | undefined = cursor;
  if (collected.length > limit) {
    const lastReturned = collected[limit - 1] as { summary: TrajectorySummary; traceStart: string };
    next = { start: lastReturned.traceStart, trace: lastReturned.summary.trace_id, after: lastReturned.summary.id };
  }
  return { trajectories, next_cursor: next ? encodeCursor(next) : null };
}

/** Traces whose trajectories form the GRPO group of `taskId` (always including the trajectory's own traces). */
async function groupTraceIds(client: ClickHouseClient, tenant: string, taskId: string, ownTraceIds: string[]): Promise<string[]> {
  if (taskId === '') return ownTraceIds;
  const rows = await queryRows<{ trace_id: string }>(client, 'queries/task-group-traces.sql', { tenant, task_id: taskId });
  return [...new Set([...ownTraceIds, ...rows.map((row) => row.trace_id)])];
}

export async function getTrajectory(
  client: ClickHouseClient,
  tenant: string,
  id: string,
  options: Partial<TrajectorySettings> = {},
): Promise<Trajectory | undefined> {
  const settings = resolveTrajectorySettings(options);
  const traceIds = await traceIdsForTrajectory(client, tenant, id);
  const [summary] = await readSummaries(client, tenant, traceIds, { id }, settings);
  if (!summary) return undefined;
  const group = await groupTraceIds(client, tenant, summary.task_id, traceIds);
  const params = { tenant, trace_ids: traceIds, id };
  const [turnRows, rewardRows, creditRows] = await Promise.all([
    queryRows<TurnRow>(client, 'queries/trajectory-turns.sql', params),
    queryRows<RewardRow>(client, 'queries/trajectory-rewards.sql', params),
    queryRows<CreditRow>(client, 'queries/trajectory-credit.sql', {
      ...params, group_trace_ids: group, gamma: settings.gamma, quiet_seconds: settings.quietSeconds,
    }),
  ]);
  return {
    ...summary,
    tools: unionToolDefinitions(turnRows),
    turns: turnRows.map(toTurn),
    rewards: rewardRows.map(toReward),
    credit: creditRows.map(toCredit),
  };
}
