/**
 * The documented final-reward rule (docs/trajectories.md, the `trajectories` view): the latest feedback posted
 * for the trajectory; else the latest primary (dimension 0) reward span of the trajectory, else of its root
 * trajectory (child agents inherit the episode reward); else the latest evaluation result, same fallback; else
 * none. "Latest" is the largest time, ties broken by span id (and name for feedback and evaluations). Outcome:
 * success when the final reward is > 0, failure when <= 0 or, without a reward, when the root span failed.
 */
import type { Outcome } from '../model/trajectory.ts';
import type { RewardEntry } from './collect-rewards.ts';

export interface RewardTotals {
  feedback?: RewardEntry;
  span?: RewardEntry;
  evaluation?: RewardEntry;
}

export type FinalRewardSource = 'feedback' | 'span' | 'evaluation' | '';

export interface FinalReward {
  final_reward: number | null;
  final_reward_source: FinalRewardSource;
}

function later(candidate: RewardEntry, current: RewardEntry | undefined, withName: boolean): boolean {
  if (!current) return true;
  if (candidate.time !== current.time) return candidate.time > current.time;
  if (candidate.span_id !== current.span_id) return candidate.span_id > current.span_id;
  return withName && candidate.name > current.name;
}

/** The latest reward of each source, per trajectory id. */
export function rewardTotalsByTrajectory(rewards: readonly RewardEntry[]): Map<string, RewardTotals> {
  const totals = new Map<string, RewardTotals>();
  for (const reward of rewards) {
    let entry = totals.get(reward.trajectory_id);
    if (!entry) totals.set(reward.trajectory_id, (entry = {}));
    if (reward.source === 'feedback' && later(reward, entry.feedback, true)) entry.feedback = reward;
    if (reward.source === 'span' && reward.dimension === 0 && later(reward, entry.span, false)) entry.span = reward;
    if (reward.source === 'evaluation' && later(reward, entry.evaluation, true)) entry.evaluation = reward;
  }
  return totals;
}

export function finalReward(own: RewardTotals | undefined, root: RewardTotals | undefined): FinalReward {
  const chosen: Array<[RewardEntry | undefined, FinalRewardSource]> = [
    [own?.feedback, 'feedback'],
    [own?.span, 'span'],
    [root?.span, 'span'],
    [own?.evaluation, 'evaluation'],
    [root?.evaluation, 'evaluation'],
  ];
  for (const [reward, source] of chosen) {
    if (reward) return { final_reward: reward.value, final_reward_source: source };
  }
  return { final_reward: null, final_reward_source: '' };
}

export function outcomeOf(reward: number | null, rootStatus: string): Outcome {
  if (reward !== null) return reward > 0 ? 'success' : 'failure';
  return rootStatus === 'error' ? 'failure' : 'unknown';
}
