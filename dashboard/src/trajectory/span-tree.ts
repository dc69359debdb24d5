/**
 * The timeline's rows: spans in depth-first order under their parents (children by start), each with its depth,
 * and the time window they span. A span whose parent is not in the trajectory (the root, or a child whose parent
 * arrived in another trace) starts a tree of its own. Pure, so it is tested without a browser.
 */
import type { TimelineSpan } from '../api/types.ts';
import { nanosToMillis } from '../format.ts';

export interface TimelineRow {
  span: TimelineSpan;
  depth: number;
  /** Milliseconds since the window's start. */
  offsetMillis: number;
  durationMillis: number;
}

export interface TimelineLayout {
  rows: TimelineRow[];
  windowMillis: number;
}

export function layoutTimeline(spans: readonly TimelineSpan[]): TimelineLayout {
  if (spans.length === 0) return { rows: [], windowMillis: 0 };
  const ids = new Set(spans.map((span) => span.span_id));
  const children = new Map<string, TimelineSpan[]>();
  const roots: TimelineSpan[] = [];
  for (const span of spans) {
    if (span.parent_span_id !== '' && ids.has(span.parent_span_id) && span.parent_span_id !== span.span_id) {
      const siblings = children.get(span.parent_span_id);
      if (siblings) siblings.push(span);
      else children.set(span.parent_span_id, [span]);
    } else {
      roots.push(span);
    }
  }
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const span of spans) {
    start = Math.min(start, nanosToMillis(span.start_time_unix_nano));
    end = Math.max(end, nanosToMillis(span.end_time_unix_nano), nanosToMillis(span.start_time_unix_nano));
  }
  const rows: TimelineRow[] = [];
  const visited = new Set<string>();
  // Iterative, so a 10,000-span chain cannot overflow the stack; `visited` breaks parent cycles.
  const stack: Array<{ span: TimelineSpan; depth: number }> = roots
    .slice()
    .reverse()
    .map((span) => ({ span, depth: 0 }));
  while (stack.length > 0) {
    const { span, depth } = stack.pop() as { span: TimelineSpan; depth: number };
    if (visited.has(span.span_id)) continue;
    visited.add(span.span_id);
    const spanStart = nanosToMillis(span.start_time_unix_nano);
    rows.push({
      span,
      depth,
      offsetMillis: spanStart - start,
      durationMillis: Math.max(0, nanosToMillis(span.end_time_unix_nano) - spanStart),
    });
    const own = children.get(span.span_id) ?? [];
    for (let index = own.length - 1; index >= 0; index--)
      stack.push({ span: own[index] as TimelineSpan, depth: depth + 1 });
  }
  // Spans only reachable through a cycle (each other's parents) still get a row.
  for (const span of spans) {
    if (visited.has(span.span_id)) continue;
    const spanStart = nanosToMillis(span.start_time_unix_nano);
    rows.push({
      span,
      depth: 0,
      offsetMillis: spanStart - start,
      durationMillis: Math.max(0, nanosToMillis(span.end_time_unix_nano) - spanStart),
    });
  }
  return { rows, windowMillis: Math.max(end - start, 0) };
}
