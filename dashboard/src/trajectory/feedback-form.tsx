/**
 * Feedback on a trajectory: a score and a comment posted to the rewards API (`POST /v1/trajectories/{id}/rewards`).
 * Feedback is the first source of the final-reward rule, so the page reloads the trajectory and shows the reward
 * it has now.
 */
import { useState, type SubmitEvent } from 'react';
import { sendJson } from '../api/client.ts';

export function FeedbackForm(props: { trajectoryId: string; onPosted: () => void }) {
  const [score, setScore] = useState('');
  const [comment, setComment] = useState('');
  const [name, setName] = useState('human');
  const [status, setStatus] = useState<{ kind: 'idle' | 'posting' | 'posted' } | { kind: 'failed'; message: string }>({
    kind: 'idle',
  });

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const value = Number(score);
    if (score.trim() === '' || !Number.isFinite(value)) {
      setStatus({ kind: 'failed', message: 'The score must be a number, such as 1, 0.5 or -1.' });
      return;
    }
    setStatus({ kind: 'posting' });
    try {
      await sendJson('POST', `/v1/trajectories/${encodeURIComponent(props.trajectoryId)}/rewards`, {
        value,
        name: name.trim() || 'human',
        comment,
      });
      setStatus({ kind: 'posted' });
      setComment('');
      props.onPosted();
    } catch (error) {
      setStatus({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  }

  return (
    <form className="feedback-form" onSubmit={(event) => void submit(event)} aria-label="Feedback">
      <label>
        Score
        <input
          name="score"
          inputMode="decimal"
          value={score}
          onChange={(event) => setScore(event.target.value)}
          required
          placeholder="e.g. 1"
          size={8}
        />
      </label>
      <label>
        Name
        <input name="name" value={name} onChange={(event) => setName(event.target.value)} size={12} />
      </label>
      <label className="grow">
        Comment
        <input name="comment" value={comment} onChange={(event) => setComment(event.target.value)} />
      </label>
      <button type="submit" disabled={status.kind === 'posting'}>
        Post feedback
      </button>
      <p role="status" className={status.kind === 'failed' ? 'error' : 'muted'}>
        {status.kind === 'posted' ? 'Feedback recorded.' : status.kind === 'failed' ? status.message : ''}
      </p>
    </form>
  );
}
