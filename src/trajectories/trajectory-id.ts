/**
 * Trajectory ids, unambiguous and URL-safe:
 *   `<trace_id>`                 a whole trace without agent spans (32 hex), or the conversation stitched from
 *                                agent-less traces, named after the trace that started it
 *   `<trace_id>-<span_id>`       the subtree of an agent span (32 hex, '-', 16 hex)
 *   `al-<rollout>[.<attempt>]`   an Agent Lightning rollout attempt; both parts percent-encoded with '.' as %2E,
 *                                so the one unescaped '.' separates them ('l' is not hex: no clash with the above)
 * The `trajectory_spans` view builds them; this module maps one back to the traces that hold it.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { loadSql } from '../store/sql-files.ts';
import { tracesOfStitchedTrajectories } from './stitch-conversations.ts';

export type TrajectoryIdParts =
  | { kind: 'trace'; traceId: string }
  | { kind: 'agent'; traceId: string; spanId: string }
  | { kind: 'agent-lightning'; rolloutId: string; attemptId: string };

export function parseTrajectoryId(id: string): TrajectoryIdParts | undefined {
  if (/^[0-9a-f]{32}$/.test(id)) return { kind: 'trace', traceId: id };
  const agent = /^([0-9a-f]{32})-([0-9a-f]{16})$/.exec(id);
  if (agent) return { kind: 'agent', traceId: agent[1] as string, spanId: agent[2] as string };
  if (id.startsWith('al-')) {
    const [rollout, attempt, extra] = id.slice(3).split('.');
    if (!rollout || extra !== undefined) return undefined;
    try {
      return {
        kind: 'agent-lightning',
        rolloutId: decodeURIComponent(rollout),
        attemptId: attempt === undefined ? '' : decodeURIComponent(attempt),
      };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The traces that may hold trajectory `id` ([] for a malformed id or an unknown rollout). */
export async function traceIdsForTrajectory(client: ClickHouseClient, tenant: string, id: string): Promise<string[]> {
  return traceIdsForTrajectories(client, tenant, [id]);
}

/** The traces of one Agent Lightning rollout attempt (`rollout_traces`, kept by a materialized view). */
export async function tracesOfRollout(
  client: ClickHouseClient,
  tenant: string,
  rolloutId: string,
  attemptId: string,
): Promise<string[]> {
  const result = await client.query({
    query: loadSql('queries/rollout-traces.sql'),
    query_params: { tenant, rollout_id: rolloutId, attempt_id: attemptId },
    format: 'JSONEachRow',
  });
  return (await result.json<{ trace_id: string }>()).map((row) => row.trace_id);
}

/**
 * The traces that may hold any of the given trajectories, with one query for all whole-trace ids (the stitched
 * conversations they may name) instead of one per id (a whole-trace id may name a conversation: the trace that
 * started it and every trace it joined); Agent Lightning ids are resolved one by one.
 */
export async function traceIdsForTrajectories(
  client: ClickHouseClient,
  tenant: string,
  ids: string[],
): Promise<string[]> {
  const traces = new Set<string>();
  const wholeTraceIds: string[] = [];
  const rollouts: Array<Promise<string[]>> = [];
  for (const id of ids) {
    const parts = parseTrajectoryId(id);
    if (!parts) continue;
    if (parts.kind === 'agent-lightning') {
      rollouts.push(tracesOfRollout(client, tenant, parts.rolloutId, parts.attemptId));
      continue;
    }
    traces.add(parts.traceId);
    if (parts.kind === 'trace') wholeTraceIds.push(id);
  }
  const [stitched, rolloutTraces] = await Promise.all([
    tracesOfStitchedTrajectories(client, tenant, wholeTraceIds),
    Promise.all(rollouts),
  ]);
  for (const traceId of [...stitched, ...rolloutTraces.flat()]) traces.add(traceId);
  return [...traces];
}
