/**
 * Compare: the attempts at one task side by side, as a GRPO group sees them. Each attempt's reward and
 * group-relative advantage, then its steps turn by turn, with the turn where the attempts first went different
 * ways marked: what a policy update would push toward or away from.
 */
import { useEffect, useState, type SubmitEvent } from 'react';
import { Link } from 'wouter';
import { getJson, queryString } from '../api/client.ts';
import type { Trajectory, TrajectoryPage } from '../api/types.ts';
import { ErrorMessage, Loading } from '../components/status.tsx';
import { formatCount, formatReward, shortId } from '../format.ts';
import { firstDivergence, stepSignature } from '../trajectory/divergence.ts';
import { useQueryState } from '../url-state.ts';

/** Attempts shown side by side at most; a wider group reads better as the list filtered by task. */
const maxAttempts = 8;

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function ComparePage() {
  const [query, setQuery] = useQueryState();
  const task = query.get('task') ?? '';
  const [text, setText] = useState(task);
  const [attempts, setAttempts] = useState<Trajectory[] | undefined>(undefined);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<Error | undefined>(undefined);

  useEffect(() => {
    if (!task) return undefined;
    const controller = new AbortController();
    setAttempts(undefined);
    setError(undefined);
    (async () => {
      const page = await getJson<TrajectoryPage>(
        `/v1/trajectories${queryString({ task, limit: 100 })}`,
        controller.signal,
      );
      setTotal(page.trajectories.length);
      const chosen = page.trajectories.slice(0, maxAttempts);
      const full = await Promise.all(
        chosen.map((summary) =>
          getJson<Trajectory>(`/v1/trajectories/${encodeURIComponent(summary.id)}`, controller.signal),
        ),
      );
      setAttempts(full);
    })().catch((reason: unknown) => {
      if (!controller.signal.aborted) setError(reason instanceof Error ? reason : new Error(String(reason)));
    });
    return () => controller.abort();
  }, [task]);

  function submit(event: SubmitEvent) {
    event.preventDefault();
    setQuery({ task: text.trim() || undefined });
  }

  const divergence = attempts ? firstDivergence(attempts) : null;
  const rewards = (attempts ?? []).flatMap((attempt) => (attempt.final_reward === null ? [] : [attempt.final_reward]));
  const longest = Math.max(0, ...(attempts ?? []).map((attempt) => attempt.turns.length));

  return (
    <>
      <header className="page-header">
        <h1>Compare attempts at a task</h1>
        <form onSubmit={submit} className="inline-form">
          <label htmlFor="compare-task">Task</label>
          <input
            id="compare-task"
            value={text}
            onChange={(event) => setText(event.target.value)}
            placeholder="task id or exact text"
            size={40}
          />
          <button type="submit">Compare</button>
        </form>
      </header>
      {!task ? (
        <p className="muted">Pick a task: the Compare link of a row in the trajectory list fills it in.</p>
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
      {task && !attempts && !error ? <Loading what="the attempts" /> : null}
      {attempts && attempts.length === 0 ? <p className="muted">No trajectories of this task.</p> : null}
      {attempts && attempts.length > 0 ? (
        <>
          <p>
            {total > maxAttempts ? `The newest ${maxAttempts} of ${total} attempts` : `${attempts.length} attempts`} ·
            mean reward {formatReward(mean(rewards))} ·{' '}
            {divergence === null ? 'every attempt took the same steps' : `they first diverge at turn ${divergence + 1}`}
          </p>
          <div className="compare-scroll">
            <table className="compare">
              <thead>
                <tr>
                  <th scope="col">Attempt</th>
                  {attempts.map((attempt) => (
                    <th key={attempt.id} scope="col">
                      <Link href={`/trajectories/${encodeURIComponent(attempt.id)}`}>{shortId(attempt.id)}</Link>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                <tr>
                  <th scope="row">Reward</th>
                  {attempts.map((attempt) => (
                    <td key={attempt.id} className="number">
                      {formatReward(attempt.final_reward)}
                    </td>
                  ))}
                </tr>
                <tr>
                  <th scope="row">Advantage</th>
                  {attempts.map((attempt) => (
                    <td key={attempt.id} className="number">
                      {formatReward(attempt.credit[0]?.advantage)}
                    </td>
                  ))}
                </tr>
                <tr>
                  <th scope="row">Outcome</th>
                  {attempts.map((attempt) => (
                    <td key={attempt.id}>
                      <span className={`badge outcome-${attempt.outcome}`}>{attempt.outcome}</span>
                    </td>
                  ))}
                </tr>
                <tr>
                  <th scope="row">Turns · tokens</th>
                  {attempts.map((attempt) => (
                    <td key={attempt.id}>
                      {attempt.turn_count} · {formatCount(attempt.input_tokens + attempt.output_tokens)}
                    </td>
                  ))}
                </tr>
                {Array.from({ length: longest }, (_, index) => (
                  <tr key={index} className={index === divergence ? 'diverged' : undefined}>
                    <th scope="row">
                      Turn {index + 1}
                      {index === divergence ? <span className="badge">diverged</span> : null}
                    </th>
                    {attempts.map((attempt) => {
                      const turn = attempt.turns[index];
                      return (
                        <td key={attempt.id} className="step">
                          {turn ? stepSignature(turn) : <span className="muted">(ended)</span>}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </>
  );
}
