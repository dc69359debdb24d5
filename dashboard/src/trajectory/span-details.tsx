/**
 * What the timeline's selected span was: its timing, tokens and status, and for a tool execution the call's
 * arguments and the tool's result, for a model call a link to its turn in the conversation.
 */
import type { TimelineSpan, Trajectory } from '../api/types.ts';
import { formatCount, formatDuration, formatTime, nanosToMillis } from '../format.ts';
import { prettyJson } from './message-view.tsx';
import { spanLabel } from './timeline.tsx';

export function SpanDetails({ span, trajectory }: { span: TimelineSpan; trajectory: Trajectory }) {
  const executions = trajectory.turns.flatMap((turn) => turn.tool_calls);
  const execution =
    span.kind === 'tool'
      ? (executions.find((candidate) => candidate.span_id === span.span_id) ??
        executions.find((candidate) => span.tool_call_id !== '' && candidate.call_id === span.tool_call_id))
      : undefined;
  const turn =
    span.kind === 'llm' ? trajectory.turns.find((candidate) => candidate.span_id === span.span_id) : undefined;
  const duration = nanosToMillis(span.end_time_unix_nano) - nanosToMillis(span.start_time_unix_nano);
  return (
    <aside className="span-details" aria-label="Selected span" aria-live="polite">
      <h3>{spanLabel(span)}</h3>
      <dl>
        <dt>Kind</dt>
        <dd>{span.kind}</dd>
        <dt>Started</dt>
        <dd>{formatTime(span.start_time_unix_nano)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(duration)}</dd>
        <dt>Status</dt>
        <dd className={span.status === 'error' ? 'error' : undefined}>
          {span.status}
          {span.status_message ? `: ${span.status_message}` : ''}
          {span.error_type ? ` (${span.error_type})` : ''}
        </dd>
        {span.input_tokens !== null || span.output_tokens !== null ? (
          <>
            <dt>Tokens</dt>
            <dd>
              {formatCount(span.input_tokens)} in / {formatCount(span.output_tokens)} out
            </dd>
          </>
        ) : null}
        {span.trajectory_id !== trajectory.id ? (
          <>
            <dt>Sub-agent</dt>
            <dd>
              <a href={`#/trajectories/${encodeURIComponent(span.trajectory_id)}`}>{span.trajectory_id}</a>
            </dd>
          </>
        ) : null}
        <dt>Span</dt>
        <dd>
          <code>{span.span_id}</code>
        </dd>
      </dl>
      {execution ? (
        <>
          <h4>Arguments</h4>
          <pre>{prettyJson(execution.arguments)}</pre>
          <h4>Result</h4>
          {execution.result === null ? (
            <p className="muted">No result.</p>
          ) : (
            <pre className="tool-result-text">{execution.result}</pre>
          )}
        </>
      ) : null}
      {turn ? (
        <p>
          <a
            href={`#turn-${turn.index}`}
            onClick={(event) => {
              event.preventDefault();
              document.getElementById(`turn-${turn.index}`)?.scrollIntoView({ behavior: 'smooth' });
            }}
          >
            Turn {turn.index + 1} in the conversation
          </a>
        </p>
      ) : null}
    </aside>
  );
}
