/**
 * Where attempts at one task went different ways: each turn reduced to what the model did (the tools it called
 * with their arguments, or its answer's text), and the first turn at which the attempts do not all agree. Pure,
 * so it is tested without a browser.
 */
import type { Trajectory, Turn } from '../api/types.ts';

export function stepSignature(turn: Turn): string {
  const message = turn.output_message;
  if (!message) return `(no output: ${turn.status})`;
  const calls = (message.tool_calls ?? []).map((call) => `${call.function.name}(${call.function.arguments})`);
  if (calls.length > 0) return calls.join(' + ');
  if (typeof message.content === 'string') return message.content.trim();
  return JSON.stringify(message.content);
}

/** The first turn index at which the trajectories' steps differ (a missing turn differs), or null when they agree. */
export function firstDivergence(trajectories: readonly Trajectory[]): number | null {
  if (trajectories.length < 2) return null;
  const longest = Math.max(...trajectories.map((trajectory) => trajectory.turns.length));
  for (let index = 0; index < longest; index++) {
    const steps = new Set(
      trajectories.map((trajectory) => {
        const turn = trajectory.turns[index];
        return turn ? stepSignature(turn) : '(ended)';
      }),
    );
    if (steps.size > 1) return index;
  }
  return null;
}
