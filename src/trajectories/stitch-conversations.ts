/**
 * Stitching of agent-less model calls into one trajectory per conversation. An agent instrumented without an
 * enclosing agent span (zero-code instrumentation, no `trajectory()` wrapper) emits each model call as its own
 * trace, which would make every call a one-turn trajectory. For such traces (no agent span, no Agent Lightning
 * ids, a model call) of one tenant and service, the summarizer decides once, before summarizing them:
 *
 * 1. With a conversation id (any convention's, mapped onto `conversation_id`): the trajectory of the latest trace
 *    with the same id that ended within the window. An explicit id always wins; continuity is not consulted.
 * 2. A Responses API call that names its `previous_response_id` (recorded as `openai.request.previous_response_id`)
 *    joins the trajectory of the call that produced that response.
 * 3. Otherwise, by message-history continuity (history-keys.ts): the trace continues the trajectory of the call
 *    whose input + output is its first call's input up to the last assistant message (tool results or a new user
 *    message may follow), compared first with every message, then without system / developer messages. Never merged: a match shared by two trajectories
 *    (parallel rollouts whose outputs happened to be equal), or a call whose history another trace already
 *    extended (a branch: two calls extending one history with different outputs stay apart).
 * 4. Otherwise the trace starts a trajectory of its own, whose id is the trace id.
 * A late call that arrives after its successor attaches to the successor's trajectory when that trajectory starts
 * with the successor; if it also continues an earlier trajectory, the two merge into the earlier one. Decisions are
 * recorded in `trace_stitches` (ids never change otherwise) and looked up by key in `stitch_keys`.
 * Decisions are made in start order within a batch, with the batch's own decisions visible to later traces.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { field, jsonString } from './clickhouse-json.ts';
import { continuationKeys, conversationKey, openingKeys, type HistoryKey } from './history-keys.ts';
import { queryRows } from './read-assembly-input.ts';

/** How far an earlier call's end may lie after a later call's start and still count as before it. */
const clockSkewNanos = 1_000_000_000n;

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

type KeyKind = 'conversation' | 'response' | 'continuation' | 'opening' | 'claimed' | 'claimed_without_system';

interface KeyRow {
  service_name: string;
  kind: KeyKind;
  key: string;
  trace_id: string;
  start_ns: string;
  end_ns: string;
}

interface Candidate {
  traceId: string;
  service: string;
  conversationId: string;
  previousResponseId: string;
  lastResponseId: string;
  start: bigint;
  end: bigint;
  openings: HistoryKey[];
  continuations: HistoryKey[];
}

export interface StitchResult {
  /** Trajectory ids whose set of traces changed (joined, started or merged), for the summarizer to recompute. */
  changedTrajectories: string[];
}

function parseArray(text: string): unknown[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}

function assistantOf(outputs: unknown[]): unknown {
  return outputs.find((message) => jsonString(field(message, 'role')) === 'assistant') ?? outputs[0];
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
    openings: openingKeys(parseArray(facts.first_input)),
    continuations: continuationKeys(parseArray(facts.last_input), assistantOf(parseArray(facts.last_output))),
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

  const window = BigInt(Math.round(settings.stitchWindowSeconds * 1e9));
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
  const claims = new Map<string, { claimer: string; firm: boolean }>();
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
  const claimedTraces = { has: (traceId: string) => claims.has(traceId) };
  const openSince = await lastActivity(client, tenant, [...new Set([...trajectoryOf.values(), ...matchedTraces])]);
  const nowMillis = settings.nowMillis ?? Date.now();
  const openQuietMillis = (settings.openQuietSeconds ?? settings.stitchWindowSeconds) * 1000;
  // A trajectory that may be complete (and exported) already is not extended: the late call starts its own.
  const stillOpen = (trajectoryId: string) => {
    const last = openSince.get(trajectoryId);
    return last === undefined || nowMillis - last < openQuietMillis;
  };

  const keys: KeyRow[] = [...published];
  const newKeys: KeyRow[] = [];
  const decisions = new Map<string, string>();
  const changed = new Set<string>();
  const trajectoryOfTrace = (traceId: string) => decisions.get(traceId) ?? trajectoryOf.get(traceId) ?? traceId;
  const publish = (candidate: Candidate, kind: KeyKind, key: string) => {
    const row: KeyRow = {
      service_name: candidate.service,
      kind,
      key,
      trace_id: candidate.traceId,
      start_ns: candidate.start.toString(),
      end_ns: candidate.end.toString(),
    };
    keys.push(row);
    newKeys.push(row);
  };
  // The earlier call started first and ended before this one started (give or take clock skew between the
  // emitters' clocks: some instrumentations take start times from the wall clock and end times from a monotonic
  // one), at most the window before.
  const withinWindow = (row: KeyRow, candidate: Candidate) =>
    row.service_name === candidate.service &&
    row.trace_id !== candidate.traceId &&
    BigInt(row.start_ns) < candidate.start &&
    BigInt(row.end_ns) <= candidate.start + clockSkewNanos &&
    BigInt(row.end_ns) + window >= candidate.start;
  // Under an explicit conversation id calls may overlap (parallel tool calls, streaming) and may arrive late.
  const sameConversation = (row: KeyRow, candidate: Candidate) =>
    row.service_name === candidate.service &&
    row.trace_id !== candidate.traceId &&
    (BigInt(row.start_ns) < candidate.start
      ? BigInt(row.end_ns) + window >= candidate.start
      : BigInt(row.start_ns) <= candidate.end + window);

  for (const candidate of candidates) {
    let joined: string | undefined;
    let continued: { trace: string; firm: boolean } | undefined;
    // May this candidate continue `predecessor`? Not when another call continued it already (a branch), unless
    // that one matched only without system messages and this one matches the full history (it then gives way).
    const mayContinue = (predecessor: string, firm: boolean) => {
      const claim = claims.get(predecessor);
      return !claim || claim.claimer === candidate.traceId || (firm && !claim.firm);
    };
    if (candidate.conversationId !== '') {
      const key = conversationKey(candidate.conversationId);
      const related = keys.filter(
        (row) => row.kind === 'conversation' && row.key === key && sameConversation(row, candidate),
      );
      const before = related
        .filter((row) => BigInt(row.start_ns) < candidate.start)
        .sort((a, b) => (BigInt(a.end_ns) < BigInt(b.end_ns) ? 1 : -1))[0];
      const after = related
        .filter((row) => BigInt(row.start_ns) >= candidate.start)
        .sort((a, b) => (BigInt(a.start_ns) < BigInt(b.start_ns) ? -1 : 1))[0];
      const found = before ?? after;
      if (found && stillOpen(trajectoryOfTrace(found.trace_id))) joined = trajectoryOfTrace(found.trace_id);
      publish(candidate, 'conversation', key);
    } else if (candidate.previousResponseId !== '') {
      // A Responses API chain names the response it continues; its input holds only what is new. Two calls that
      // name the same response are a fork: the second starts its own trajectory.
      const key = conversationKey(candidate.previousResponseId);
      const named = keys.find((row) => row.kind === 'response' && row.key === key && withinWindow(row, candidate));
      if (named && mayContinue(named.trace_id, true) && stillOpen(trajectoryOfTrace(named.trace_id))) {
        joined = trajectoryOfTrace(named.trace_id);
        continued = { trace: named.trace_id, firm: true };
      }
    } else {
      for (const variant of ['full', 'without_system'] as const) {
        const match = longestContinuation(candidate, variant, keys, withinWindow);
        if (match === undefined) continue;
        const trajectories = new Set(match.map((row) => trajectoryOfTrace(row.trace_id)));
        const predecessor = match[0];
        const firm = variant === 'full';
        const target = [...trajectories][0];
        if (
          trajectories.size === 1 &&
          predecessor &&
          target &&
          mayContinue(predecessor.trace_id, firm) &&
          stillOpen(target)
        ) {
          joined = target;
          continued = { trace: predecessor.trace_id, firm };
        }
        break;
      }
    }
    const trajectory = joined ?? candidate.traceId;
    decisions.set(candidate.traceId, trajectory);
    changed.add(trajectory);
    // A call without an output (it failed) claims nothing: the agent's retry continues the same history.
    if (continued !== undefined && candidate.continuations.length > 0) {
      const previous = claims.get(continued.trace);
      if (previous && previous.claimer !== candidate.traceId && !previous.firm && continued.firm) {
        // The side call that claimed it only without system messages leaves the conversation.
        decisions.set(previous.claimer, previous.claimer);
        changed.add(previous.claimer);
      }
      claims.set(continued.trace, { claimer: candidate.traceId, firm: continued.firm });
      publish(candidate, continued.firm ? 'claimed' : 'claimed_without_system', continued.trace);
    }
    if (candidate.lastResponseId !== '') publish(candidate, 'response', conversationKey(candidate.lastResponseId));
    for (const key of candidate.continuations) publish(candidate, 'continuation', key.key);
    for (const key of candidate.openings) publish(candidate, 'opening', key.key);
  }

  // Late predecessors: a decided trace whose trajectory begins with a call that continues this one.
  const merges = new Map<string, string>();
  for (const candidate of candidates) {
    if (candidate.conversationId !== '' || candidate.previousResponseId !== '') continue;
    if (claimedTraces.has(candidate.traceId)) continue;
    const own = trajectoryOfTrace(candidate.traceId);
    const successors = new Set<string>();
    let successorTrace: string | undefined;
    for (const key of candidate.continuations) {
      for (const row of keys) {
        if (row.kind !== 'opening' || row.key !== key.key || row.service_name !== candidate.service) continue;
        const successorStart = BigInt(row.start_ns);
        if (successorStart <= candidate.start || successorStart + clockSkewNanos < candidate.end) continue;
        if (successorStart > candidate.end + window) continue;
        const successor = trajectoryOfTrace(row.trace_id);
        // Only a trajectory that starts with that call: the call's trajectory id is its own trace id.
        if (successor !== row.trace_id || successor === own) continue;
        successors.add(successor);
        successorTrace = row.trace_id;
      }
    }
    if (successors.size !== 1 || successorTrace === undefined) continue;
    merges.set([...successors][0] as string, own);
    claims.set(candidate.traceId, { claimer: successorTrace, firm: true });
    newKeys.push({
      service_name: candidate.service,
      kind: 'claimed',
      key: candidate.traceId,
      trace_id: successorTrace,
      start_ns: '0',
      end_ns: '0',
    });
  }
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

/** The published continuations that the candidate's opening key of one variant matches; undefined when none. */
function longestContinuation(
  candidate: Candidate,
  variant: HistoryKey['variant'],
  keys: readonly KeyRow[],
  withinWindow: (row: KeyRow, candidate: Candidate) => boolean,
): KeyRow[] | undefined {
  for (const opening of candidate.openings) {
    if (opening.variant !== variant) continue;
    const match = keys.filter(
      (row) => row.kind === 'continuation' && row.key === opening.key && withinWindow(row, candidate),
    );
    if (match.length > 0) return match;
  }
  return undefined;
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

/** The stitched trajectory of each given trace that has one (for assembly). */
export async function readTraceStitches(
  client: ClickHouseClient,
  tenant: string,
  traceIds: string[],
): Promise<Map<string, string>> {
  return currentTrajectories(client, tenant, traceIds);
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
