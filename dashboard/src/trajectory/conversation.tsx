/**
 * The conversation of a trajectory, turn by turn: the messages each model call saw for the first time (the
 * system prompt and task once, then what came back from tools or the user), the answer it gave, and under it
 * every tool call it made, with arguments, the tool's result, its status and AIR reward. A tool message that
 * repeats a result already shown under the call is not shown twice. A long loop shows its first turns until asked
 * for all: a thousand turns of messages are a lot of page to build for someone who came for the timeline.
 */
import { useState } from 'react';
import type { Trajectory, ToolExecution } from '../api/types.ts';
import { formatCount, formatDuration, formatReward } from '../format.ts';
import { MessageView, prettyJson } from './message-view.tsx';

function ToolExecutionView({ execution }: { execution: ToolExecution }) {
  return (
    <div className={`tool-execution status-${execution.status}`} data-call-id={execution.call_id}>
      <header>
        <span className="badge kind-tool">tool</span> <code>{execution.name}</code>{' '}
        <span className={`badge status-${execution.status}`}>{execution.status}</span>{' '}
        <span className="muted">AIR {formatReward(execution.air_reward)}</span>
      </header>
      <details>
        <summary>Arguments</summary>
        <pre>{prettyJson(execution.arguments)}</pre>
      </details>
      <div className="tool-result">
        <span className="muted">
          Result{execution.result_source === 'message' ? ' (from the next call’s input)' : ''}
        </span>
        {execution.result === null ? (
          <p className="muted">No result: nothing answered this call.</p>
        ) : (
          <pre>{execution.result}</pre>
        )}
      </div>
    </div>
  );
}

const initialTurns = 50;

export function Conversation({ trajectory }: { trajectory: Trajectory }) {
  const [showAll, setShowAll] = useState(false);
  const shownResults = new Set<string>();
  const turns = showAll ? trajectory.turns : trajectory.turns.slice(0, initialTurns);
  return (
    <>
      <ol className="conversation">
        {turns.map((turn) => {
          const fresh = turn.new_messages.filter(
            (message) => !(message.role === 'tool' && message.tool_call_id && shownResults.has(message.tool_call_id)),
          );
          for (const execution of turn.tool_calls) if (execution.result !== null) shownResults.add(execution.call_id);
          return (
            <li key={turn.span_id} id={`turn-${turn.index}`} className="turn">
              <h3>
                Turn {turn.index + 1}
                <span className="muted">
                  {' '}
                  · {turn.model || 'unknown model'} · {formatDuration(turn.latency_ms)} ·{' '}
                  {formatCount(turn.input_tokens)} in / {formatCount(turn.output_tokens)} out
                  {turn.finish_reason ? ` · ${turn.finish_reason}` : ''}
                </span>
                {turn.status === 'error' ? <span className="badge status-error">error</span> : null}
              </h3>
              {fresh.map((message, index) => (
                <MessageView key={index} message={message} />
              ))}
              {turn.output_message ? (
                <MessageView message={turn.output_message} />
              ) : (
                <p className="muted">The call produced no output.</p>
              )}
              {turn.tool_calls.map((execution) => (
                <ToolExecutionView key={execution.call_id} execution={execution} />
              ))}
            </li>
          );
        })}
      </ol>
      {turns.length < trajectory.turns.length ? (
        <button type="button" className="secondary" onClick={() => setShowAll(true)}>
          Show all {trajectory.turns.length} turns
        </button>
      ) : null}
    </>
  );
}
