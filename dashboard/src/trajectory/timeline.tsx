/**
 * The execution timeline: every span of the trajectory as a bar on one time axis, nested by parent. Model calls,
 * tool executions, agents and sub-agents (spans of a nested trajectory) have their own colours and labels; failed
 * spans are red. Only the rows in view are in the DOM (@tanstack/react-virtual), so 10,000 spans scroll as
 * smoothly as 10. Hovering a bar shows its duration and tokens; a row is a button, and the arrow keys move the
 * selection, whose details show beside the timeline.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, type KeyboardEvent } from 'react';
import type { TimelineSpan } from '../api/types.ts';
import { formatCount, formatDuration } from '../format.ts';
import { layoutTimeline, type TimelineRow } from './span-tree.ts';

const rowHeight = 24;

function isError(span: TimelineSpan): boolean {
  return span.status === 'error';
}

export function spanLabel(span: TimelineSpan): string {
  if (span.kind === 'llm') return span.model ? `${span.name} · ${span.model}` : span.name;
  if (span.kind === 'tool') return span.tool_name ? `tool ${span.tool_name}` : span.name;
  if (span.kind === 'agent') return span.agent_name ? `agent ${span.agent_name}` : span.name;
  return span.name;
}

function hoverText(row: TimelineRow, subAgent: boolean): string {
  const { span } = row;
  const parts = [spanLabel(span), formatDuration(row.durationMillis)];
  if (span.input_tokens !== null || span.output_tokens !== null)
    parts.push(`${formatCount(span.input_tokens)} in / ${formatCount(span.output_tokens)} out tokens`);
  if (isError(span)) parts.push(`error${span.status_message ? `: ${span.status_message}` : ''}`);
  if (subAgent) parts.push('in a sub-agent');
  return parts.join(' · ');
}

export function Timeline(props: {
  trajectoryId: string;
  spans: TimelineSpan[];
  selected: string | undefined;
  onSelect: (spanId: string) => void;
}) {
  const { trajectoryId, spans, selected, onSelect } = props;
  const layout = useMemo(() => layoutTimeline(spans), [spans]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: layout.rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 20,
  });
  const scale = layout.windowMillis > 0 ? layout.windowMillis : 1;
  const selectedIndex = layout.rows.findIndex((row) => row.span.span_id === selected);

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp' && event.key !== 'Home' && event.key !== 'End') return;
    event.preventDefault();
    const last = layout.rows.length - 1;
    const next =
      event.key === 'Home'
        ? 0
        : event.key === 'End'
          ? last
          : Math.min(last, Math.max(0, selectedIndex + (event.key === 'ArrowDown' ? 1 : -1)));
    const row = layout.rows[next];
    if (!row) return;
    onSelect(row.span.span_id);
    virtualizer.scrollToIndex(next, { align: 'auto' });
    // The row's button may only now be rendered: focus follows on the next frame.
    requestAnimationFrame(() =>
      scroller.current?.querySelector<HTMLButtonElement>(`[data-span-id="${row.span.span_id}"]`)?.focus(),
    );
  }

  return (
    <div className="timeline">
      <div className="timeline-legend" aria-hidden="true">
        <span className="swatch kind-llm" /> model call <span className="swatch kind-tool" /> tool
        <span className="swatch kind-agent" /> agent <span className="swatch sub-agent" /> sub-agent
        <span className="swatch status-error" /> error
        <span className="muted"> · {formatDuration(layout.windowMillis)} in all</span>
      </div>
      <div
        ref={scroller}
        className="timeline-scroller"
        role="list"
        aria-label={`Timeline, ${layout.rows.length} spans`}
        data-span-count={layout.rows.length}
        style={{ height: Math.min(420, layout.rows.length * rowHeight + 2) }}
        onKeyDown={onKeyDown}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = layout.rows[item.index] as TimelineRow;
            const { span } = row;
            const subAgent = span.trajectory_id !== trajectoryId;
            const classes = [
              'timeline-row',
              `kind-${span.kind}`,
              subAgent ? 'sub-agent' : '',
              isError(span) ? 'status-error' : '',
              span.span_id === selected ? 'selected' : '',
            ].join(' ');
            const left = (row.offsetMillis / scale) * 100;
            const width = Math.max((row.durationMillis / scale) * 100, 0.15);
            return (
              <div
                key={span.span_id}
                role="listitem"
                className={classes}
                style={{ position: 'absolute', top: 0, transform: `translateY(${item.start}px)`, height: rowHeight }}
              >
                <button
                  type="button"
                  data-span-id={span.span_id}
                  className="timeline-button"
                  title={hoverText(row, subAgent)}
                  aria-pressed={span.span_id === selected}
                  tabIndex={span.span_id === selected || (selected === undefined && item.index === 0) ? 0 : -1}
                  onClick={() => onSelect(span.span_id)}
                >
                  <span className="timeline-label" style={{ paddingLeft: `${row.depth * 12}px` }}>
                    {spanLabel(span)}
                  </span>
                  <span className="timeline-track">
                    <span
                      className="timeline-bar"
                      style={{ left: `${left}%`, width: `${Math.min(width, 100 - left)}%` }}
                    />
                  </span>
                  <span className="timeline-duration">{formatDuration(row.durationMillis)}</span>
                </button>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
