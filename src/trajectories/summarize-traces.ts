/**
 * Recomputes the `trajectory_summaries` rows of a set of traces of one tenant: reads their rows (one batched
 * query per table, through the lean read of read-summary-input.ts, which leaves the message history out),
 * assembles in TypeScript, inserts one row per trajectory with a fresh version (and one `trajectory_calls` row
 * per model call and tool execution, call-rows.ts), and tombstones the keys those traces had before but no longer
 * yield (a vanished id, or a start that moved). Idempotent, so the summarizer may
 * re-run it over an overlap window and the feedback route may run it inline for read-your-writes. Agent Lightning
 * rollouts and stitched conversations spanning several traces are widened to all their traces.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import type { AirRuleValues, AssemblyInput } from './assembly-input.ts';
import { assembleTrajectoriesYielding, type AssembledTrajectory } from './assemble-trajectory.ts';
import { toCallRows } from './call-rows.ts';
import { queryRows } from './read-assembly-input.ts';
import { readSummaryInput } from './read-summary-input.ts';
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

/**
 * The input split into parts that share no trajectory, each of about `partTraces` traces (a group of traces that
 * must be assembled together is never split): traces are joined when the stitcher put them in one conversation (named
 * after its first trace) or their spans name one Agent Lightning rollout (a rollout trajectory's id is made of a rollout id its traces
 * carry). Evaluation records and feedback go with their trace. Assembling the parts one by one gives the same
 * trajectories as the whole, in pieces small enough to let the event loop run between them.
 */
export function independentParts(input: AssemblyInput, partTraces: number): AssemblyInput[] {
  // Union-find over trace ids.
  const parent = new Map<string, string>();
  const find = (traceId: string): string => {
    let root = traceId;
    for (let next = parent.get(root); next !== undefined && next !== root; next = parent.get(root)) root = next;
    for (let current = traceId; current !== root;) {
      const next = parent.get(current)!;
      parent.set(current, root);
      current = next;
    }
    return root;
  };
  const join = (a: string, b: string) => {
    const rootA = find(a);
    const rootB = find(b);
    if (rootA !== rootB) parent.set(rootB, rootA);
  };
  const firstTraceOfRollout = new Map<string, string>();
  for (const span of input.spans) {
    if (!parent.has(span.trace_id)) parent.set(span.trace_id, span.trace_id);
    if (span.rollout_id === '') continue;
    const first = firstTraceOfRollout.get(span.rollout_id);
    if (first === undefined) firstTraceOfRollout.set(span.rollout_id, span.trace_id);
    else join(first, span.trace_id);
  }
  // A stitched conversation is named after its first trace, whose own spans join it without a stitch of their own.
  for (const [traceId, trajectoryId] of input.stitches) {
    if (!parent.has(traceId)) continue;
    if (!parent.has(trajectoryId)) parent.set(trajectoryId, trajectoryId);
    join(trajectoryId, traceId);
  }

  const groups = new Map<string, string[]>();
  for (const traceId of parent.keys()) {
    const root = find(traceId);
    const group = groups.get(root);
    if (group) group.push(traceId);
    else groups.set(root, [traceId]);
  }
  const partOfTrace = new Map<string, number>();
  let part = 0;
  let tracesInPart = 0;
  for (const traces of groups.values()) {
    if (tracesInPart > 0 && tracesInPart + traces.length > partTraces) {
      part++;
      tracesInPart = 0;
    }
    for (const traceId of traces) partOfTrace.set(traceId, part);
    tracesInPart += traces.length;
  }
  const parts: AssemblyInput[] = Array.from({ length: part + 1 }, () => ({
    tenant: input.tenant,
    spans: [],
    evaluations: [],
    feedback: [],
    airRules: input.airRules,
    stitches: input.stitches,
  }));
  // An evaluation record whose trace has no spans here joins no trajectory (part 0 keeps it, as the whole would).
  // Feedback names its trajectory: feedback on a trajectory of no trace here goes to every part, where only the
  // trajectory of that id could take it, as in the whole.
  const partOf = (traceId: string) => parts[partOfTrace.get(traceId) ?? 0]!;
  for (const span of input.spans) partOf(span.trace_id).spans.push(span);
  for (const evaluation of input.evaluations) partOf(evaluation.trace_id).evaluations.push(evaluation);
  for (const feedback of input.feedback) {
    const known = partOfTrace.get(feedback.trace_id);
    for (const [index, target] of parts.entries())
      if (known === undefined || known === index) target.feedback.push(feedback);
  }
  return parts;
}

/** Traces assembled between two turns of the event loop (a few ms of work: 5,000 traces take 0.5-1.4 s). */
const assemblyPartTraces = 25;

/**
 * assembleTrajectories over independentParts, yielding to the event loop between parts (and within a part every
 * few ms, so one very large trace does not hold the loop either), in the same order as one call over the whole
 * input would return them.
 */
export async function assembleInParts(
  input: AssemblyInput,
  partTraces = assemblyPartTraces,
): Promise<AssembledTrajectory[]> {
  const trajectories: AssembledTrajectory[] = [];
  for (const part of independentParts(input, partTraces)) {
    // `complete` is not stored, so the clock does not matter here.
    trajectories.push(...(await assembleTrajectoriesYielding(part, { nowMillis: 0, quietSeconds: 0 })));
    await yieldToEventLoop();
  }
  return trajectories.sort((a, b) =>
    a.start_ns !== b.start_ns ? (a.start_ns < b.start_ns ? -1 : 1) : a.summary.id < b.summary.id ? -1 : 1,
  );
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
  options: {
    airRules?: AirRuleValues;
    timings?: SummarizeTimings;
    /** Traces deleted meanwhile (read before their rows were removed): nothing is written for them. */
    isDeleted?: (traceId: string) => boolean;
  } = {},
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
  let input = await readSummaryInput(client, tenant, traces, options.airRules);
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
    input = await readSummaryInput(client, tenant, traces, input.airRules);
  }
  lap('widen');
  const isDeleted = options.isDeleted ?? (() => false);
  const trajectories = (await assembleInParts(input)).filter((trajectory) => !isDeleted(trajectory.summary.trace_id));
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
  // Calls first: a summary visible before its calls would count in analytics with none of its calls.
  const calls = trajectories
    .flatMap((trajectory) => toCallRows(tenant, trajectory, version))
    .filter((call) => !isDeleted(String(call.trace_id)));
  if (calls.length > 0) await client.insert({ table: 'trajectory_calls', values: calls, format: 'JSONEachRow' });
  if (rows.length > 0) await client.insert({ table: 'trajectory_summaries', values: rows, format: 'JSONEachRow' });
  lap('insert');
  return { trajectories: trajectories.length, tombstones };
}
