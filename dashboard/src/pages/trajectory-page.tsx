/**
 * One trajectory: what it was (agent, task, outcome, reward, size), its execution timeline with the selected
 * span's details, the conversation, rewards and credit, annotations, the feedback form, and links to its raw
 * spans and to the other attempts at its task.
 */
import { useState } from 'react';
import { Link } from 'wouter';
import type { Trajectory, TrajectoryTimeline } from '../api/types.ts';
import { useApi } from '../api/use-api.ts';
import { ErrorMessage, Loading } from '../components/status.tsx';
import { formatCount, formatDuration, formatReward, formatTime } from '../format.ts';
import { Conversation } from '../trajectory/conversation.tsx';
import { FeedbackForm } from '../trajectory/feedback-form.tsx';
import { RewardsPanel } from '../trajectory/rewards-panel.tsx';
import { SpanDetails } from '../trajectory/span-details.tsx';
import { Timeline } from '../trajectory/timeline.tsx';

function Facts({ trajectory }: { trajectory: Trajectory }) {
  return (
    <dl className="facts">
      <div>
        <dt>Agent</dt>
        <dd>{trajectory.agent_name || '–'}</dd>
      </div>
      <div>
        <dt>Outcome</dt>
        <dd>
          <span className={`badge outcome-${trajectory.outcome}`}>{trajectory.outcome}</span>
          {trajectory.complete ? null : <span className="muted"> (still open)</span>}
        </dd>
      </div>
      <div>
        <dt>Reward</dt>
        <dd>{formatReward(trajectory.final_reward)}</dd>
      </div>
      <div>
        <dt>Started</dt>
        <dd>{formatTime(trajectory.start_time_unix_nano)}</dd>
      </div>
      <div>
        <dt>Duration</dt>
        <dd>{formatDuration(trajectory.duration_ms)}</dd>
      </div>
      <div>
        <dt>Turns</dt>
        <dd>{trajectory.turn_count}</dd>
      </div>
      <div>
        <dt>Tool calls</dt>
        <dd>{trajectory.tool_call_count}</dd>
      </div>
      <div>
        <dt>Errors</dt>
        <dd>{trajectory.error_count}</dd>
      </div>
      <div>
        <dt>Tokens</dt>
        <dd>
          {formatCount(trajectory.input_tokens)} in / {formatCount(trajectory.output_tokens)} out
        </dd>
      </div>
    </dl>
  );
}

function Annotations({ trajectory }: { trajectory: Trajectory }) {
  const notes = trajectory.annotations;
  if (!notes) return null;
  return (
    <section aria-labelledby="annotations-heading">
      <h2 id="annotations-heading">Annotations</h2>
      <p>
        {notes.tags.map((tag) => (
          <span key={tag} className="badge">
            {tag}
          </span>
        ))}{' '}
        {notes.human_reviewed ? <span className="badge outcome-success">reviewed</span> : null}
        {notes.outcome ? <span className="muted"> outcome set to {notes.outcome}</span> : null}
      </p>
      {notes.note ? <p>{notes.note}</p> : null}
    </section>
  );
}

export function TrajectoryPage({ id }: { id: string }) {
  const path = `/v1/trajectories/${encodeURIComponent(id)}`;
  const trajectory = useApi<Trajectory>(path);
  const timeline = useApi<TrajectoryTimeline>(`${path}/spans`);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const data = trajectory.data;
  const selectedSpan = timeline.data?.spans.find((span) => span.span_id === selected);

  return (
    <>
      <header className="page-header">
        <div>
          <p className="breadcrumb">
            <Link href="/trajectories">Trajectories</Link> / <code>{id}</code>
          </p>
          <h1>{data?.task || data?.agent_name || 'Trajectory'}</h1>
        </div>
        {data?.task_id ? (
          <Link href={`/compare?${new URLSearchParams({ task: data.task_id }).toString()}`}>
            Compare with its task’s attempts
          </Link>
        ) : null}
      </header>
      {trajectory.error ? <ErrorMessage error={trajectory.error} /> : null}
      {trajectory.loading && !data ? <Loading what="the trajectory" /> : null}
      {data ? <Facts trajectory={data} /> : null}

      <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Timeline</h2>
        {timeline.error ? <ErrorMessage error={timeline.error} /> : null}
        {timeline.loading && !timeline.data ? <Loading what="the timeline" /> : null}
        {timeline.data ? (
          <div className="timeline-layout">
            <Timeline trajectoryId={id} spans={timeline.data.spans} selected={selected} onSelect={setSelected} />
            {selectedSpan && data ? (
              <SpanDetails span={selectedSpan} trajectory={data} />
            ) : (
              <aside className="span-details muted">Select a span to see its details.</aside>
            )}
          </div>
        ) : null}
        {timeline.data ? (
          <p className="muted">
            Raw spans:{' '}
            {timeline.data.trace_ids.map((traceId) => (
              <Link key={traceId} href={`/traces/${traceId}`} className="raw-link">
                {traceId}
              </Link>
            ))}
          </p>
        ) : null}
      </section>

      {data ? (
        <>
          <section aria-labelledby="rewards-heading">
            <h2 id="rewards-heading">Rewards and credit</h2>
            <RewardsPanel trajectory={data} />
            <h3>Give feedback</h3>
            <FeedbackForm trajectoryId={id} onPosted={trajectory.reload} />
          </section>
          <Annotations trajectory={data} />
          <section aria-labelledby="conversation-heading">
            <h2 id="conversation-heading">Conversation</h2>
            <Conversation trajectory={data} />
          </section>
        </>
      ) : null}
    </>
  );
}
