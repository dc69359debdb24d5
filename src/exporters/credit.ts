/**
 * Picks the reward or credit value a record carries. `final` is the trajectory's final reward (every LLM call
 * gets it, LightningRL's identical assignment); `discounted`, `air_shaped` and `advantage` are the per-turn
 * credit columns. A trajectory-level value for a per-turn column is its value at the first turn: the return
 * from the start of the trajectory. Null means "not available": callers skip, never substitute.
 */
import type { Trajectory } from '../model/trajectory.ts';
import type { CreditColumn } from './export-format.ts';

export function turnCredit(trajectory: Trajectory, turnIndex: number, column: CreditColumn): number | null {
  if (trajectory.final_reward === null) return null;
  const credit = trajectory.credit.find((entry) => entry.turn_index === turnIndex);
  switch (column) {
    case 'final':
      return credit?.identical ?? trajectory.final_reward;
    case 'discounted':
      return credit?.discounted ?? null;
    case 'air_shaped':
      return credit?.air_shaped ?? null;
    case 'advantage':
      return credit?.advantage ?? null;
  }
}

export function trajectoryReward(trajectory: Trajectory, column: CreditColumn): number | null {
  if (trajectory.final_reward === null) return null;
  if (column === 'final') return trajectory.final_reward;
  const first = trajectory.turns[0];
  return first === undefined ? null : turnCredit(trajectory, first.index, column);
}

/** The reason a trajectory has no value in `column`, for the skipped list. */
export function missingRewardReason(trajectory: Trajectory, column: CreditColumn): string {
  return trajectory.final_reward === null ? 'no reward' : `no ${column} credit`;
}
