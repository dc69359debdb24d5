/**
 * Recomputes the `trajectory_summaries` rows of a set of traces of one tenant: reads their rows (one batched
 * query per table), assembles in TypeScript, inserts one row per trajectory with a fresh version, and tombstones
 * the keys those traces had before but no longer yield (a vanished id, or a start that moved). Idempotent, so
 * the summarizer may re-run it over an overlap window and the feedback route may run it inline for
 * read-your-writes. Agent Lightning rollouts and stitched conversations spanning several traces are widened to all
 * their traces.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { AirRuleValues } from './assembly-input.ts';
import { assembleTrajectories, type AssembledTrajectory } from './assemble-trajectory.ts';
import { queryRows, readAssemblyInput } from './read-assembly-input.ts';
import { tracesOfStitchedTrajectories } from './stitch-conversations.ts';
import { tracesOfRollout } from './trajectory-id.ts';

let lastVersion = 0n;

/** Versions grow strictly within a process and with the clock across restarts, so later writes win. */
export function nextSummaryVersion(): bigint {
  const candidate = BigInt(Date.now()) * 1000n;
  lastVersion = candidate > lastVersion ? candidate : lastVersion + 1n;
  return lastVersion;
}

export function toSummaryRow(
  tenant: string,
  trajectory: AssembledTrajectory,
  version: bigint,
): Record<string, unknown> {
  const { summary } = trajectory;
  return {
    tenant,
    start_ns: trajectory.start_ns.toString(),
    id: summary.id,
    trace_id: summary.trace_id,
    root_trajectory_id: summary.root_trajectory_id,
    root_span_id: summary.root_span_id,
    parent_trajectory_id: summary.parent_trajectory_id,
    agent_name: summary.agent_name,
    agent_id: summary.agent_id,
    task: summary.task,
    task_id: summary.task_id,
    conversation_id: summary.conversation_id,
    rollout_id: summary.rollout_id,
    attempt_id: summary.attempt_id,
    end_ns: trajectory.end_ns.toString(),
    duration_ms: summary.duration_ms,
    turn_count: summary.turn_count,
    tool_call_count: summary.tool_call_count,
    error_count: summary.error_count,
    input_tokens: summary.input_tokens,
    output_tokens: summary.output_tokens,
    final_reward: summary.final_reward,
    final_reward_source: summary.final_reward_source,
    outcome: summary.outcome,
    has_root: trajectory.has_root ? 1 : 0,
    last_ingested_ms: trajectory.last_ingested_ms,
    version: version.toString(),
    is_deleted: 0,
  };
}

async function rolloutTraceIds(client: ClickHouseClient, tenant: string, pairs: Set<string>): Promise<string[]> {
  const found = await Promise.all(
    [...pairs].map((pair) => {
      const [rolloutId, attemptId] = JSON.parse(pair) as [string, string];
      return tracesOfRollout(client, tenant, rolloutId, attemptId);
    }),
  );
  return found.flat();
}

export interface SummarizeResult {
  trajectories: number;
  tombstones: number;
}

/** Milliseconds spent per phase, added up across calls (the summarizer reports them to say where a batch goes). */
export interface SummarizeTimings {
  read: number;
  widen: number;
  assemble: number;
  existingKeys: number;
  insert: number;
}

export function emptySummarizeTimings(): SummarizeTimings {
  return { read: 0, widen: 0, assemble: 0, existingKeys: 0, insert: 0 };
}

export async function summarizeTraces(
  client: ClickHouseClient,
  tenant: string,
  traceIds: string[],
  options: { airRules?: AirRuleValues; timings?: SummarizeTimings } = {},
): Promise<SummarizeResult> {
  if (traceIds.length === 0) return { trajectories: 0, tombstones: 0 };
  const timings = options.timings ?? emptySummarizeTimings();
  let mark = performance.now();
  const lap = (phase: keyof SummarizeTimings) => {
    const now = performance.now();
    timings[phase] += now - mark;
    mark = now;
  };
  let traces = [...new Set(traceIds)];
  let input = await readAssemblyInput(client, tenant, traces, options.airRules);
  lap('read');
  const rollouts = new Set(
    input.spans
      .filter((span) => span.rollout_id !== '')
      .map((span) => JSON.stringify([span.rollout_id, span.attempt_id])),
  );
  // Trajectories that span several traces: Agent Lightning rollouts and stitched conversations.
  const stitched = [...new Set(input.stitches.values())];
  const related = [
    ...(rollouts.size > 0 ? await rolloutTraceIds(client, tenant, rollouts) : []),
    ...(await tracesOfStitchedTrajectories(client, tenant, stitched)),
  ];
  const wider = [...new Set([...traces, ...related])];
  if (wider.length > traces.length) {
    traces = wider;
    input = await readAssemblyInput(client, tenant, traces, input.airRules);
  }
  lap('widen');
  // `complete` is not stored, so the clock does not matter here.
  const trajectories = assembleTrajectories(input, { nowMillis: 0, quietSeconds: 0 });
  lap('assemble');
  const existing = await queryRows<{ start_ns: string; id: string; trace_id: string }>(
    client,
    'queries/summary-keys-of-traces.sql',
    { tenant, trace_ids: traces },
  );
  lap('existingKeys');
  const version = nextSummaryVersion();
  const keep = new Set(trajectories.map((trajectory) => `${trajectory.start_ns}/${trajectory.summary.id}`));
  const rows = trajectories.map((trajectory) => toSummaryRow(tenant, trajectory, version));
  let tombstones = 0;
  for (const key of existing) {
    if (keep.has(`${key.start_ns}/${key.id}`)) continue;
    tombstones++;
    rows.push({
      tenant,
      start_ns: key.start_ns,
      id: key.id,
      trace_id: key.trace_id,
      version: version.toString(),
      is_deleted: 1,
    });
  }
  if (rows.length > 0) await client.insert({ table: 'trajectory_summaries', values: rows, format: 'JSONEachRow' });
  lap('insert');
  return { trajectories: trajectories.length, tombstones };
}
