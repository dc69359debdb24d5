/**
 * The stitching rules as a pure function (stitch-conversations.ts reads their inputs from the store and writes
 * the decisions back): given the undecided traces of a batch in start order, the keys earlier traces published,
 * their current trajectories and claims, decide which trajectory each trace joins, what each publishes, and
 * which trajectories a late call merges. The batch's own decisions are visible to the traces after it.
 */
import { conversationKey, type HistoryKey } from './history-keys.ts';

export type KeyKind = 'conversation' | 'response' | 'continuation' | 'opening' | 'claimed' | 'claimed_without_system';

/** A row of `stitch_keys`: what a trace published, and when its model calls ran. */
export interface KeyRow {
  service_name: string;
  kind: KeyKind;
  key: string;
  trace_id: string;
  start_ns: string;
  end_ns: string;
}

/** An undecided stitchable trace, reduced to what the rules compare. */
export interface Candidate {
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

/**
 * Who continued a trace: a claim by the full history is firm; one by the history without system messages gives
 * way to a later full match (a guardrail or judge call over the same history is no continuation of the agent's).
 */
export interface Claim {
  claimer: string;
  firm: boolean;
}

export interface StitchState {
  /** Keys published under any key the candidates look up. */
  published: readonly KeyRow[];
  /** Current trajectory of each trace those keys name (a trace absent here names its own). */
  trajectoryOf: ReadonlyMap<string, string>;
  /** Claims on those traces, by claimed trace; updated as the batch claims more. */
  claims: Map<string, Claim>;
  /** When each known trajectory last received a span (unix ms), from its stored summary. */
  lastActivityMillis: ReadonlyMap<string, number>;
}

export interface StitchRules {
  windowNanos: bigint;
  /** A trajectory quiet for this long may be complete and exported already: it is not extended. */
  openQuietMillis: number;
  nowMillis: number;
}

export interface StitchDecisions {
  /** Trace -> trajectory, for every candidate (and any side call that gave way). */
  decisions: Map<string, string>;
  newKeys: KeyRow[];
  /** Trajectory -> the trajectory it merges into (a late call bridged them). */
  merges: Map<string, string>;
  /** Trajectories whose set of traces changed. */
  changed: Set<string>;
}

/** How far an earlier call's end may lie after a later call's start and still count as before it. */
export const clockSkewNanos = 1_000_000_000n;

export function decideStitches(
  candidates: readonly Candidate[],
  state: StitchState,
  rules: StitchRules,
): StitchDecisions {
  const claims = state.claims;
  // A trajectory that may be complete (and exported) already is not extended: the late call starts its own.
  const stillOpen = (trajectoryId: string) => {
    const last = state.lastActivityMillis.get(trajectoryId);
    return last === undefined || rules.nowMillis - last < rules.openQuietMillis;
  };

  const keys: KeyRow[] = [...state.published];
  const newKeys: KeyRow[] = [];
  const decisions = new Map<string, string>();
  const changed = new Set<string>();
  const trajectoryOfTrace = (traceId: string) => decisions.get(traceId) ?? state.trajectoryOf.get(traceId) ?? traceId;
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
    BigInt(row.end_ns) + rules.windowNanos >= candidate.start;
  // Under an explicit conversation id calls may overlap (parallel tool calls, streaming) and may arrive late.
  const sameConversation = (row: KeyRow, candidate: Candidate) =>
    row.service_name === candidate.service &&
    row.trace_id !== candidate.traceId &&
    (BigInt(row.start_ns) < candidate.start
      ? BigInt(row.end_ns) + rules.windowNanos >= candidate.start
      : BigInt(row.start_ns) <= candidate.end + rules.windowNanos);

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
    if (claims.has(candidate.traceId)) continue;
    const own = trajectoryOfTrace(candidate.traceId);
    const successors = new Set<string>();
    let successorTrace: string | undefined;
    for (const key of candidate.continuations) {
      for (const row of keys) {
        if (row.kind !== 'opening' || row.key !== key.key || row.service_name !== candidate.service) continue;
        const successorStart = BigInt(row.start_ns);
        if (successorStart <= candidate.start || successorStart + clockSkewNanos < candidate.end) continue;
        if (successorStart > candidate.end + rules.windowNanos) continue;
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
  return { decisions, newKeys, merges, changed };
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
