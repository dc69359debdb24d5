/**
 * Credit per LLM call, the definitions of the `credit` view. With T turns, final reward R, AIR rewards a_k:
 *   identical  = R;  discounted = gamma^(T-1-t) * R;  air_shaped = sum_{k>=t} gamma^(k-t) a_k + discounted;
 *   advantage  = (R - mean) / std over the task's group (population std; 0 for a group of one or std < 1e-12;
 *                NULL when the trajectory is incomplete or has no final reward). Everything is NULL without R.
 * Group statistics are merged from parts (stored summaries + live trajectories) with Chan's parallel formula.
 */
import type { TurnCredit } from '../model/trajectory.ts';

export interface GroupStats {
  members: number;
  mean: number;
  /** Population variance. */
  variance: number;
}

export const emptyGroup: GroupStats = { members: 0, mean: 0, variance: 0 };

export function addToGroup(group: GroupStats, value: number): GroupStats {
  return mergeGroups(group, { members: 1, mean: value, variance: 0 });
}

export function mergeGroups(a: GroupStats, b: GroupStats): GroupStats {
  if (a.members === 0) return b;
  if (b.members === 0) return a;
  const members = a.members + b.members;
  const delta = b.mean - a.mean;
  const mean = a.mean + (delta * b.members) / members;
  const squares = a.variance * a.members + b.variance * b.members + (delta * delta * a.members * b.members) / members;
  return { members, mean, variance: Math.max(0, squares / members) };
}

export type AssembledCredit = TurnCredit & { group_size: number; group_mean: number; group_std: number };

export function computeCredit(
  turns: ReadonlyArray<{ span_id: string; air_reward: number }>,
  reward: number | null,
  complete: boolean,
  group: GroupStats,
  gamma: number,
): AssembledCredit[] {
  const count = turns.length;
  // Discounted suffix sums of the AIR rewards, from the last turn backwards.
  const airReturns = new Array<number>(count).fill(0);
  let running = 0;
  for (let index = count - 1; index >= 0; index--) {
    running = (turns[index]?.air_reward ?? 0) + gamma * (index === count - 1 ? 0 : running);
    airReturns[index] = running;
  }
  const std = Math.sqrt(group.variance);
  const advantage =
    complete && reward !== null ? (group.members <= 1 || std < 1e-12 ? 0 : (reward - group.mean) / std) : null;
  return turns.map((turn, index) => {
    const discounted = reward === null ? null : gamma ** (count - 1 - index) * reward;
    return {
      turn_index: index,
      span_id: turn.span_id,
      identical: reward,
      discounted,
      air_shaped: discounted === null ? null : (airReturns[index] ?? 0) + discounted,
      advantage,
      group_size: group.members,
      group_mean: group.mean,
      group_std: std,
    };
  });
}
