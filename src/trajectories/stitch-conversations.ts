/**
 * Stitching of agent-less model calls into one trajectory per conversation. An agent instrumented without an
 * enclosing agent span (zero-code instrumentation, no `trajectory()` wrapper) emits each model call as its own
 * trace, which would make every call a one-turn trajectory. The summarizer calls `stitchTraces` on each batch of
 * dirty traces before summarizing them: it reads the stitchable ones (no agent span, no Agent Lightning ids, a
 * model call, the root stored) and what earlier traces published, lets `decideStitches` (stitch-decisions.ts, the
 * rules: conversation id, then `previous_response_id`, then message-history continuity) decide, and records the
 * decisions in `trace_stitches` and the keys later calls look up in `stitch_keys`. Each trace is decided once;
 * only a late call that bridges two trajectories re-points traces (a merge into the earlier trajectory).
 * docs/trajectories.md states the rules with examples.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { parseJsonArray } from '../store/json-text.ts';
import { outputMessageOf } from './assemble-turns.ts';
import { continuationKeys, conversationKey, openingKeys } from './history-keys.ts';
import { decideStitches, type Candidate, type Claim, type KeyRow } from './stitch-decisions.ts';
import { queryRows } from './read-assembly-input.ts';

export interface StitchSettings {
  /** How far apart (end of one call to start of the next) two calls of one trajectory may be. */
  stitchWindowSeconds: number;
  /**
   * A trajectory quiet for this long may already be complete and exported: a late call does not extend it (it
   * starts its own) so no export ever holds half of one. @default stitchWindowSeconds
   */
  openQuietSeconds?: number;
  /** @default Date.now() */
  nowMillis?: number;
}

interface TraceFacts {
  trace_id: string;
  service_name: string;
  conversation_id: string;
  previous_response_id: string;
  last_response_id: string;
  first_input: string;
  last_input: string;
  last_output: string;
  first_start_ns: string;
  last_end_ns: string;
}

export interface StitchResult {
  /** Trajectory ids whose set of traces changed (joined, started or merged), for the summarizer to recompute. */
  changedTrajectories: string[];
}

function toCandidate(facts: TraceFacts): Candidate {
  return {
    traceId: facts.trace_id,
    service: facts.service_name,
    conversationId: facts.conversation_id,
    previousResponseId: facts.previous_response_id,
    lastResponseId: facts.last_response_id,
    start: BigInt(facts.first_start_ns),
    end: BigInt(facts.last_end_ns),
    openings: openingKeys(parseJsonArray(facts.first_input)),
    continuations: continuationKeys(
      parseJsonArray(facts.last_input),
      outputMessageOf(parseJsonArray(facts.last_output)),
    ),
  };
}

export async function stitchTraces(
  client: ClickHouseClient,
  tenant: string,
  traceIds: string[],
  settings: StitchSettings,
): Promise<StitchResult> {
  if (traceIds.length === 0) return { changedTrajectories: [] };
  const stitchableIds = (
    await queryRows<{ trace_id: string }>(client, 'queries/stitchable-traces.sql', { tenant, trace_ids: traceIds })
  ).map((row) => row.trace_id);
  if (stitchableIds.length === 0) return { changedTrajectories: [] };
  const stitchable = await queryRows<TraceFacts>(client, 'queries/stitch-trace-facts.sql', {
    tenant,
    trace_ids: stitchableIds,
  });
  const decided = await currentTrajectories(
    client,
    tenant,
    stitchable.map((row) => row.trace_id),
  );
  const candidates = stitchable
    .filter((row) => !decided.has(row.trace_id))
    .map(toCandidate)
    .sort((a, b) => (a.start !== b.start ? (a.start < b.start ? -1 : 1) : a.traceId < b.traceId ? -1 : 1));
  if (candidates.length === 0) return { changedTrajectories: [] };

  const lookupKeys = new Set<string>();
  for (const candidate of candidates) {
    if (candidate.conversationId !== '') lookupKeys.add(conversationKey(candidate.conversationId));
    if (candidate.previousResponseId !== '') lookupKeys.add(conversationKey(candidate.previousResponseId));
    for (const key of [...candidate.openings, ...candidate.continuations]) lookupKeys.add(key.key);
  }
  const published = await queryRows<KeyRow>(client, 'queries/stitch-keys-lookup.sql', {
    tenant,
    keys: [...lookupKeys],
  });
  const matchedTraces = [...new Set(published.map((row) => row.trace_id))];
  const trajectoryOf = await currentTrajectories(client, tenant, matchedTraces);
  // Who continued each matched trace already: a claim by the full history is firm, one by the history without
  // system messages gives way to a later full match (a guardrail or judge call over the same history is no
  // continuation of the agent's own).
  const claims = new Map<string, Claim>();
  const addClaim = (claimed: string, claimer: string, firm: boolean) => {
    const existing = claims.get(claimed);
    if (!existing || (firm && !existing.firm)) claims.set(claimed, { claimer, firm });
  };
  if (matchedTraces.length > 0) {
    const rows = await queryRows<KeyRow>(client, 'queries/stitch-keys-lookup.sql', { tenant, keys: matchedTraces });
    for (const row of rows) {
      if (row.kind === 'claimed' || row.kind === 'claimed_without_system') {
        addClaim(row.key, row.trace_id, row.kind === 'claimed');
      }
    }
  }
  const lastActivityMillis = await lastActivity(client, tenant, [
    ...new Set([...trajectoryOf.values(), ...matchedTraces]),
  ]);
  const { decisions, newKeys, merges, changed } = decideStitches(
    candidates,
    { published, trajectoryOf, claims, lastActivityMillis },
    {
      windowNanos: BigInt(Math.round(settings.stitchWindowSeconds * 1e9)),
      openQuietMillis: (settings.openQuietSeconds ?? settings.stitchWindowSeconds) * 1000,
      nowMillis: settings.nowMillis ?? Date.now(),
    },
  );
  const repointed: Array<{ tenant: string; trace_id: string; trajectory_id: string }> = [];
  if (merges.size > 0) {
    const members = await queryRows<{ trace_id: string; trajectory_id: string }>(
      client,
      'queries/stitched-traces.sql',
      {
        tenant,
        trajectory_ids: [...merges.keys()],
      },
    );
    for (const [from, into] of merges) {
      changed.add(from);
      changed.add(into);
      const traces = new Set(members.filter((row) => row.trajectory_id === from).map((row) => row.trace_id));
      for (const [traceId, trajectory] of decisions) if (trajectory === from) traces.add(traceId);
      for (const traceId of traces) {
        decisions.delete(traceId);
        repointed.push({ tenant, trace_id: traceId, trajectory_id: into });
      }
    }
  }

  const rows = [
    ...[...decisions].map(([traceId, trajectoryId]) => ({ tenant, trace_id: traceId, trajectory_id: trajectoryId })),
    ...repointed,
  ];
  await client.insert({
    table: 'stitch_keys',
    values: newKeys.map((row) => ({ tenant, ...row })),
    format: 'JSONEachRow',
  });
  await client.insert({ table: 'trace_stitches', values: rows, format: 'JSONEachRow' });
  return { changedTrajectories: [...changed] };
}

/** When each given trajectory last received a span, from its stored summary (unknown until it is summarized). */
async function lastActivity(
  client: ClickHouseClient,
  tenant: string,
  trajectoryIds: string[],
): Promise<Map<string, number>> {
  if (trajectoryIds.length === 0) return new Map();
  const rows = await queryRows<{ id: string; last_ingested_ms: number | string }>(
    client,
    'queries/trajectory-last-activity.sql',
    { tenant, ids: trajectoryIds },
  );
  return new Map(rows.map((row) => [row.id, Number(row.last_ingested_ms)]));
}

async function currentTrajectories(
  client: ClickHouseClient,
  tenant: string,
  traceIds: string[],
): Promise<Map<string, string>> {
  if (traceIds.length === 0) return new Map();
  const rows = await queryRows<{ trace_id: string; trajectory_id: string }>(client, 'queries/trace-stitches.sql', {
    tenant,
    trace_ids: traceIds,
  });
  return new Map(rows.map((row) => [row.trace_id, row.trajectory_id]));
}

/** Every trace stitched into the given trajectories. */
export async function tracesOfStitchedTrajectories(
  client: ClickHouseClient,
  tenant: string,
  trajectoryIds: string[],
): Promise<string[]> {
  if (trajectoryIds.length === 0) return [];
  const rows = await queryRows<{ trace_id: string }>(client, 'queries/stitched-traces.sql', {
    tenant,
    trajectory_ids: trajectoryIds,
  });
  return rows.map((row) => row.trace_id);
}
