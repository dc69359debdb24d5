/**
 * Assembly of whole trajectories in TypeScript from the rows of a set of traces: assignment, turns, rewards,
 * final reward, summary columns and credit, each by the rules of the SQL view beside it (assemble-trajectory.sql and the views it reads), so the API
 * and users' SQL agree (test/trajectories/views-agree.test.ts pins that). Pure: the caller reads the rows and
 * passes the current time, which only `complete` depends on.
 */
import { createHash } from 'node:crypto';
import type { Trajectory, TrajectorySummary } from '../model/trajectory.ts';
import type { AssemblyInput, AssemblySpan } from './assembly-input.ts';
import { assembleTurnsSteps, unionTurnTools, type AssembledTurn } from './assemble-turns.ts';
import { runSteps, runStepsYielding, type AssemblySteps } from './assembly-steps.ts';
import { assignTraceSpans, byStart, type SpanAssignment, type TraceAssignment } from './assign-spans.ts';
import { collectRewards, compareRewards, type RewardEntry } from './collect-rewards.ts';
import { computeCredit, type AssembledCredit, type GroupStats } from './credit.ts';
import { finalReward, outcomeOf, rewardTotalsByTrajectory } from './final-reward.ts';
import { parseTrajectoryId } from './trajectory-id.ts';

export type AssembledSummary = TrajectorySummary & { final_reward_source: string; root_trajectory_id: string };

export interface AssembledTrajectory {
  summary: AssembledSummary;
  start_ns: bigint;
  end_ns: bigint;
  has_root: boolean;
  last_ingested_ms: number;
  turns: AssembledTurn[];
  rewards: RewardEntry[];
  /** The trajectory's own spans in start order (the summarizer's analytics call rows are made of them). */
  spans: AssemblySpan[];
}

export interface Clock {
  nowMillis: number;
  quietSeconds: number;
  /** A whole-trace trajectory (no agent span) may still gain stitched calls this long after its last. @default 0 */
  stitchWindowSeconds?: number;
}

/**
 * Complete: the root is stored and nothing arrived for the quiet period; a whole-trace trajectory waits for the
 * stitch window too, since a later call may still join it (so an export never takes half of a conversation).
 */
export function isComplete(hasRoot: boolean, lastIngestedMillis: number, clock: Clock, wholeTrace = false): boolean {
  const quiet = wholeTrace ? Math.max(clock.quietSeconds, clock.stitchWindowSeconds ?? 0) : clock.quietSeconds;
  return hasRoot && lastIngestedMillis <= clock.nowMillis - Math.trunc(quiet * 1000);
}

/** A task taken from the first user message is cut to this many characters (code points, as leftUTF8 counts). */
export const maxDerivedTaskLength = 500;

function leftCodePoints(text: string, length: number): string {
  const points = Array.from(text);
  return points.length <= length ? text : points.slice(0, length).join('');
}

function taskHash(task: string): string {
  return `task:${createHash('sha256').update(task, 'utf8').digest('hex').slice(0, 16)}`;
}

/** argMinIf(value, (NOT is_root_span, start), value != ''): the root span's value, else the earliest. */
function preferRoot(
  spans: readonly AssemblySpan[],
  isRoot: (span: AssemblySpan) => boolean,
  pick: (span: AssemblySpan) => string,
): string {
  let best: AssemblySpan | undefined;
  let bestRank = 2;
  for (const span of spans) {
    if (pick(span) === '') continue;
    const rank = isRoot(span) ? 0 : 1;
    if (!best || rank < bestRank || (rank === bestRank && span.start < best.start)) {
      best = span;
      bestRank = rank;
    }
  }
  return best ? pick(best) : '';
}

function earliest(spans: readonly AssemblySpan[], when: (span: AssemblySpan) => boolean): AssemblySpan | undefined {
  let best: AssemblySpan | undefined;
  for (const span of spans) if (when(span) && (!best || span.start < best.start)) best = span;
  return best;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

/** Every trajectory of the input's traces, in (start, id) order. */
export function assembleTrajectories(input: AssemblyInput, clock: Clock): AssembledTrajectory[] {
  return runSteps(assembleTrajectoriesSteps(input, clock));
}

/** `assembleTrajectories`, giving the event loop a turn every few milliseconds (large reads in the receiver). */
export function assembleTrajectoriesYielding(input: AssemblyInput, clock: Clock): Promise<AssembledTrajectory[]> {
  return runStepsYielding(assembleTrajectoriesSteps(input, clock));
}

function* assembleTrajectoriesSteps(input: AssemblyInput, clock: Clock): AssemblySteps<AssembledTrajectory[]> {
  const assignments = new Map<string, TraceAssignment>();
  for (const [traceId, spans] of groupBy(input.spans, (span) => span.trace_id)) {
    assignments.set(traceId, assignTraceSpans(traceId, spans, input.stitches.get(traceId)));
    yield;
  }
  const assignmentOf = (span: AssemblySpan) =>
    assignments.get(span.trace_id)?.spans.get(span.span_id) as SpanAssignment;

  const rewards = collectRewards(input.spans, assignments, input.evaluations, input.feedback);
  const rewardTotals = rewardTotalsByTrajectory(rewards);
  const rewardsByTrajectory = groupBy(rewards, (reward) => reward.trajectory_id);

  const trajectories: AssembledTrajectory[] = [];
  for (const [id, unordered] of groupBy(input.spans, (span) => assignmentOf(span).trajectory_id)) {
    const spans = [...unordered].sort(byStart);
    const first = spans[0] as AssemblySpan;
    const assigned = assignmentOf(first);
    const agentSpanId = assigned.agent_span_id;
    const isRoot = (span: AssemblySpan) =>
      span.span_id === agentSpanId || (agentSpanId === '' && span.parent_span_id === '');
    const parentless = spans.filter((span) => span.parent_span_id === '');
    const rootSpanId = agentSpanId !== '' ? agentSpanId : (parentless[0]?.span_id ?? '');
    const hasRoot = agentSpanId !== '' || parentless.length > 0;

    yield;
    const turns = yield* assembleTurnsSteps(
      spans.filter((span) => span.kind === 'llm'),
      spans.filter((span) => span.kind === 'tool'),
      input.airRules,
    );

    let startNs = first.start;
    let endNs = first.end;
    let errorCount = 0;
    let inputTokens = 0;
    let outputTokens = 0;
    let lastIngestedMs = 0;
    for (const span of spans) {
      if (span.start < startNs) startNs = span.start;
      if (span.end > endNs) endNs = span.end;
      if (span.status === 'error') errorCount++;
      if (span.kind === 'llm') {
        inputTokens += span.input_tokens ?? 0;
        outputTokens += span.output_tokens ?? 0;
      }
      if (span.ingested_ms > lastIngestedMs) lastIngestedMs = span.ingested_ms;
    }
    const explicitTask = preferRoot(spans, isRoot, (span) => span.task);
    const firstCall = spans.find((span) => span.kind === 'llm');
    // Without an explicit task, the task is what the user asked the trajectory's first model call.
    const task =
      explicitTask !== '' ? explicitTask : leftCodePoints(firstCall?.first_user_text ?? '', maxDerivedTaskLength);
    const explicitTaskId = preferRoot(spans, isRoot, (span) => span.task_id);
    const firstUserHash = turns[0]?.first_user_hash ?? '';
    const taskId =
      explicitTaskId !== ''
        ? explicitTaskId
        : firstUserHash !== ''
          ? firstUserHash
          : explicitTask !== ''
            ? taskHash(explicitTask)
            : '';
    const rolloutSpan = earliest(spans, (span) => span.rollout_id !== '');
    const rootStatus = spans.find(isRoot)?.status ?? '';
    const reward = finalReward(rewardTotals.get(id), rewardTotals.get(assigned.root_trajectory_id));
    const hasRootAndQuiet = isComplete(hasRoot, lastIngestedMs, clock, parseTrajectoryId(id)?.kind === 'trace');

    trajectories.push({
      summary: {
        id,
        tenant: input.tenant,
        trace_id: first.trace_id,
        root_span_id: rootSpanId,
        parent_trajectory_id: assigned.parent_trajectory_id,
        agent_name: preferRoot(spans, isRoot, (span) => span.agent_name),
        agent_id: preferRoot(spans, isRoot, (span) => span.agent_id),
        task,
        task_id: taskId,
        conversation_id: earliest(spans, (span) => span.conversation_id !== '')?.conversation_id ?? '',
        rollout_id: rolloutSpan?.rollout_id ?? '',
        attempt_id: rolloutSpan?.attempt_id ?? '',
        start_time_unix_nano: startNs.toString(),
        end_time_unix_nano: endNs.toString(),
        duration_ms: endNs > startNs ? Number(endNs - startNs) / 1e6 : 0,
        turn_count: turns.length,
        tool_call_count: turns.reduce((sum, turn) => sum + turn.tool_calls.length, 0),
        error_count: errorCount,
        input_tokens: inputTokens,
        output_tokens: outputTokens,
        final_reward: reward.final_reward,
        final_reward_source: reward.final_reward_source,
        outcome: outcomeOf(reward.final_reward, rootStatus),
        complete: hasRootAndQuiet,
        root_trajectory_id: assigned.root_trajectory_id,
      },
      start_ns: startNs,
      end_ns: endNs,
      has_root: hasRoot,
      last_ingested_ms: lastIngestedMs,
      turns,
      rewards: (rewardsByTrajectory.get(id) ?? []).sort(compareRewards),
      spans,
    });
  }
  return trajectories.sort((a, b) =>
    a.start_ns !== b.start_ns ? (a.start_ns < b.start_ns ? -1 : 1) : a.summary.id < b.summary.id ? -1 : 1,
  );
}

/** The API shape of one assembled trajectory, with credit over its GRPO group. */
export function toTrajectory(
  assembled: AssembledTrajectory,
  group: GroupStats,
  gamma: number,
): Trajectory & { credit: AssembledCredit[] } {
  const { summary, turns } = assembled;
  return {
    ...summary,
    tools: unionTurnTools(turns),
    turns: turns.map(({ tool_definitions: _tools, first_user_hash: _hash, ...turn }) => turn),
    rewards: assembled.rewards.map((reward) => ({
      name: reward.name,
      value: reward.value,
      source: reward.source,
      comment: reward.comment,
      span_id: reward.span_id,
      time_unix_nano: reward.time.toString(),
    })),
    credit: computeCredit(turns, summary.final_reward, summary.complete, group, gamma),
  };
}
