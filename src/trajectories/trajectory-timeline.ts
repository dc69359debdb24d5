/**
 * The timeline of one trajectory: every span under it (its own and its sub-agents', each marked with the
 * trajectory it belongs to), without content, in start order. It reads the lean span columns of the trajectory's
 * traces (trajectory-timeline-spans.sql) and applies the same assignment rule as assembly (assign-spans.ts), so
 * the timeline shows exactly the spans the trajectory's turns were built from, nested agents included, and none
 * of a parent trajectory's.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { SpanKind } from '../model/span.ts';
import { loadSql } from '../store/sql-files.ts';
import { readRows } from '../store/read-rows.ts';
import { assignTraceSpans, byStart, type AssignableSpan } from './assign-spans.ts';
import { parseTrajectoryId, traceIdsForTrajectory } from './trajectory-id.ts';

export interface TimelineSpan {
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  name: string;
  kind: SpanKind;
  status: string;
  status_message: string;
  error_type: string;
  start_time_unix_nano: string;
  end_time_unix_nano: string;
  model: string;
  tool_name: string;
  tool_call_id: string;
  input_tokens: number | null;
  output_tokens: number | null;
  agent_name: string;
  /** The trajectory the span belongs to: this one, or a sub-agent's nested under it. */
  trajectory_id: string;
}

export interface TrajectoryTimeline {
  trajectory_id: string;
  trace_ids: string[];
  spans: TimelineSpan[];
}

interface TimelineRow extends Omit<TimelineSpan, 'trajectory_id' | 'input_tokens' | 'output_tokens'> {
  input_tokens: number | string | null;
  output_tokens: number | string | null;
  rollout_id: string;
  attempt_id: string;
}

function toAssignable(row: TimelineRow): AssignableSpan {
  return {
    span_id: row.span_id,
    parent_span_id: row.parent_span_id,
    kind: row.kind,
    rollout_id: row.rollout_id,
    attempt_id: row.attempt_id,
    start: BigInt(row.start_time_unix_nano),
  };
}

/** Whether trajectory `candidate` is `root` or nested under it, by the parent links the assignment gave. */
function isWithin(candidate: string, root: string, parentOf: ReadonlyMap<string, string>): boolean {
  const seen = new Set<string>();
  for (let current = candidate; current !== '' && !seen.has(current); current = parentOf.get(current) ?? '') {
    if (current === root) return true;
    seen.add(current);
  }
  return false;
}

/** The traces the timeline of `id` reads (every span of them is counted against the read limit). */
export async function timelineTraceIds(client: ClickHouseClient, tenant: string, id: string): Promise<string[]> {
  return parseTrajectoryId(id) ? traceIdsForTrajectory(client, tenant, id) : [];
}

/** The timeline of trajectory `id` in the given traces (timelineTraceIds); undefined when no span belongs to it. */
export async function readTrajectoryTimeline(
  client: ClickHouseClient,
  tenant: string,
  id: string,
  traceIds: string[],
): Promise<TrajectoryTimeline | undefined> {
  if (traceIds.length === 0) return undefined;
  const params = { tenant, trace_ids: traceIds };
  const [rows, stitches] = await Promise.all([
    readRows<TimelineRow>(client, loadSql('queries/trajectory-timeline-spans.sql'), params),
    readRows<{ trace_id: string; trajectory_id: string }>(client, loadSql('queries/trace-stitches.sql'), params),
  ]);
  const stitchedInto = new Map(stitches.map((row) => [row.trace_id, row.trajectory_id]));
  const byTrace = new Map<string, TimelineRow[]>();
  for (const row of rows) {
    const spans = byTrace.get(row.trace_id);
    if (spans) spans.push(row);
    else byTrace.set(row.trace_id, [row]);
  }
  const spans: TimelineSpan[] = [];
  const traces: string[] = [];
  for (const [traceId, traceRows] of byTrace) {
    const assignment = assignTraceSpans(traceId, traceRows.map(toAssignable), stitchedInto.get(traceId) ?? '');
    const parentOf = new Map<string, string>();
    for (const assigned of assignment.spans.values())
      parentOf.set(assigned.trajectory_id, assigned.parent_trajectory_id);
    let included = false;
    for (const row of traceRows) {
      const trajectoryId = assignment.spans.get(row.span_id)?.trajectory_id ?? assignment.default_trajectory_id;
      if (!isWithin(trajectoryId, id, parentOf)) continue;
      const { rollout_id: _rollout, attempt_id: _attempt, input_tokens, output_tokens, ...span } = row;
      spans.push({
        ...span,
        input_tokens: input_tokens === null ? null : Number(input_tokens),
        output_tokens: output_tokens === null ? null : Number(output_tokens),
        trajectory_id: trajectoryId,
      });
      included = true;
    }
    if (included) traces.push(traceId);
  }
  if (spans.length === 0) return undefined;
  // Stitched conversations span several traces: one start order across them.
  const startOf = (span: TimelineSpan) => ({ start: BigInt(span.start_time_unix_nano), span_id: span.span_id });
  spans.sort((a, b) => byStart(startOf(a), startOf(b)));
  return { trajectory_id: id, trace_ids: traces, spans };
}
