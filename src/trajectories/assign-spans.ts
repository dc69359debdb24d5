/**
 * Span -> trajectory, the rules of the `trajectory_spans` view: a span belongs to its nearest `agent` ancestor
 * (itself when it is one), so nested agents are child trajectories; spans outside every agent subtree join the
 * trace's first outermost agent; a trace without agents is one trajectory; Agent Lightning rollout/attempt ids
 * override the structure; a whole-trace trajectory stitched into a conversation takes the conversation's id. The
 * ancestor walk only follows parents that are stored (a child that arrived before
 * its parent is re-assigned once the parent is in) and stops after 64 levels or at a cycle.
 */
import type { AssemblySpan } from './assembly-input.ts';
import { encodeUrlComponent } from './clickhouse-json.ts';

export interface SpanAssignment {
  trajectory_id: string;
  parent_trajectory_id: string;
  root_trajectory_id: string;
  /** The agent span rooting the trajectory; '' for whole-trace and Agent Lightning trajectories. */
  agent_span_id: string;
}

export interface TraceAssignment {
  /** By span id. */
  spans: Map<string, SpanAssignment>;
  /** Where a record that names no known span of the trace goes (evaluation log records). */
  default_trajectory_id: string;
}

/** What the rule reads of a span: its place in the tree, its kind and its Agent Lightning ids. */
export type AssignableSpan = Pick<
  AssemblySpan,
  'span_id' | 'parent_span_id' | 'kind' | 'rollout_id' | 'attempt_id' | 'start'
>;

const maxAncestorLevels = 64;

function escapePart(part: string): string {
  return encodeUrlComponent(part).replaceAll('.', '%2E');
}

export function agentLightningTrajectoryId(rolloutId: string, attemptId: string): string {
  return `al-${escapePart(rolloutId)}${attemptId !== '' ? `.${escapePart(attemptId)}` : ''}`;
}

/** Compares spans by (start, span_id), the views' tie-broken start order. */
export function byStart(a: { start: bigint; span_id: string }, b: { start: bigint; span_id: string }): number {
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  return a.span_id < b.span_id ? -1 : a.span_id > b.span_id ? 1 : 0;
}

/**
 * Assigns every span of one trace (all spans given must share the trace id). `stitchedTrajectoryId` is the
 * conversation the stitcher put this trace in (stitch-conversations.ts); it names the trajectory only when the
 * trace is a whole-trace trajectory (no agent span, no rollout), as in the view.
 */
export function assignTraceSpans(
  traceId: string,
  spans: readonly AssignableSpan[],
  stitchedTrajectoryId = '',
): TraceAssignment {
  const wholeTraceId = stitchedTrajectoryId !== '' ? stitchedTrajectoryId : traceId;
  const parentOf = new Map<string, string>();
  const kindOf = new Map<string, string>();
  let traceRolloutId = '';
  let traceAttemptId = '';
  for (const span of spans) {
    parentOf.set(span.span_id, span.parent_span_id);
    kindOf.set(span.span_id, span.kind);
    // max() over the trace, each column on its own, as the view does.
    if (span.rollout_id > traceRolloutId) traceRolloutId = span.rollout_id;
    if (span.attempt_id > traceAttemptId) traceAttemptId = span.attempt_id;
  }

  const agentAncestorsOf = new Map<string, string[]>();
  for (const span of spans) {
    const chain = [span.span_id];
    for (let level = 0; level < maxAncestorLevels; level++) {
      const parent = parentOf.get(chain[chain.length - 1] as string);
      if (parent === undefined || parent === '' || !parentOf.has(parent) || chain.includes(parent)) break;
      chain.push(parent);
    }
    agentAncestorsOf.set(
      span.span_id,
      chain.filter((ancestor) => kindOf.get(ancestor) === 'agent'),
    );
  }

  let firstOuterAgent: AssignableSpan | undefined;
  for (const span of spans) {
    if (span.kind !== 'agent' || agentAncestorsOf.get(span.span_id)?.length !== 1) continue;
    if (!firstOuterAgent || byStart(span, firstOuterAgent) < 0) firstOuterAgent = span;
  }
  const firstOuterAgentId = firstOuterAgent?.span_id ?? '';

  const assigned = new Map<string, SpanAssignment>();
  for (const span of spans) {
    const agents = agentAncestorsOf.get(span.span_id) ?? [];
    const ownRolloutId = span.rollout_id !== '' ? span.rollout_id : traceRolloutId;
    const ownAttemptId = span.rollout_id !== '' ? span.attempt_id : traceAttemptId;
    const trajectoryAgent = agents[0] ?? firstOuterAgentId;
    const trajectoryId =
      ownRolloutId !== ''
        ? agentLightningTrajectoryId(ownRolloutId, ownAttemptId)
        : trajectoryAgent !== ''
          ? `${traceId}-${trajectoryAgent}`
          : wholeTraceId;
    const outermost = agents[agents.length - 1];
    assigned.set(span.span_id, {
      trajectory_id: trajectoryId,
      parent_trajectory_id: ownRolloutId === '' && agents.length >= 2 ? `${traceId}-${agents[1]}` : '',
      root_trajectory_id:
        ownRolloutId !== '' ? trajectoryId : outermost !== undefined ? `${traceId}-${outermost}` : trajectoryId,
      agent_span_id: ownRolloutId === '' ? trajectoryAgent : '',
    });
  }
  const defaultTrajectoryId =
    traceRolloutId !== ''
      ? agentLightningTrajectoryId(traceRolloutId, traceAttemptId)
      : firstOuterAgentId !== ''
        ? `${traceId}-${firstOuterAgentId}`
        : wholeTraceId;
  return { spans: assigned, default_trajectory_id: defaultTrajectoryId };
}
