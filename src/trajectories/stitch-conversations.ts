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

type KeyKind = 'conversation' | 'response' | 'continuation' | 'opening' | 'claimed';

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
  const claimedTraces = new Set<string>();
  if (matchedTraces.length > 0) {
    const claims = await queryRows<KeyRow>(client, 'queries/stitch-keys-lookup.sql', { tenant, keys: matchedTraces });
    for (const claim of claims) if (claim.kind === 'claimed') claimedTraces.add(claim.key);
  }

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

  for (const candidate of candidates) {
    let joined: string | undefined;
    let continued: string | undefined;
    if (candidate.conversationId !== '') {
      const key = conversationKey(candidate.conversationId);
      const latest = keys
        .filter((row) => row.kind === 'conversation' && row.key === key && withinWindow(row, candidate))
        .sort((a, b) => (BigInt(a.end_ns) < BigInt(b.end_ns) ? 1 : -1))[0];
      if (latest) joined = trajectoryOfTrace(latest.trace_id);
      publish(candidate, 'conversation', key);
    } else if (candidate.previousResponseId !== '') {
      // A Responses API chain names the response it continues; its input holds only what is new.
      const key = conversationKey(candidate.previousResponseId);
      const named = keys.find((row) => row.kind === 'response' && row.key === key && withinWindow(row, candidate));
      if (named) joined = trajectoryOfTrace(named.trace_id);
    } else {
      for (const variant of ['full', 'without_system'] as const) {
        const match = longestContinuation(candidate, variant, keys, withinWindow);
        if (match === undefined) continue;
        const trajectories = new Set(match.map((row) => trajectoryOfTrace(row.trace_id)));
        const predecessor = match[0];
        if (trajectories.size === 1 && predecessor && !claimedTraces.has(predecessor.trace_id)) {
          joined = [...trajectories][0];
          continued = predecessor.trace_id;
        }
        break;
      }
    }
    const trajectory = joined ?? candidate.traceId;
    decisions.set(candidate.traceId, trajectory);
    changed.add(trajectory);
    if (continued !== undefined) {
      claimedTraces.add(continued);
      publish(candidate, 'claimed', continued);
    }
    if (candidate.lastResponseId !== '') publish(candidate, 'response', conversationKey(candidate.lastResponseId));
    for (const key of candidate.continuations) publish(candidate, 'continuation', key.key);
    for (const key of candidate.openings) publish(candidate, 'opening', key.key);
  }

  // Late predecessors: a decided trace whose trajectory begins with a call that continues this one.
  const merges = new Map<string, string>();
  for (const candidate of candidates) {
    if (candidate.conversationId !== '' || claimedTraces.has(candidate.traceId)) continue;
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
    claimedTraces.add(candidate.traceId);
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
