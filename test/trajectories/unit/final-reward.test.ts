import { describe, expect, it } from 'vitest';
import type { RewardEntry } from '../../../src/trajectories/collect-rewards.ts';
import {
  finalReward,
  outcomeOf,
  rewardTotalsByTrajectory,
  type RewardTotals,
} from '../../../src/trajectories/final-reward.ts';
import { reward } from './assembly-builders.ts';

/** The final reward of trajectory 'child' (whose root trajectory is 'root') from a set of rewards. */
function finalOf(rewards: RewardEntry[], own = 'child', root = 'root') {
  const totals = rewardTotalsByTrajectory(rewards);
  return finalReward(totals.get(own), totals.get(root));
}

const child = (fields: Parameters<typeof reward>[0]) =>
  reward({ trajectory_id: 'child', root_trajectory_id: 'root', ...fields });
const root = (fields: Parameters<typeof reward>[0]) =>
  reward({ trajectory_id: 'root', root_trajectory_id: 'root', ...fields });

describe('finalReward: which reward is final', () => {
  it('takes feedback over a reward span and an evaluation, even an older one', () => {
    const rewards = [
      child({ source: 'span', value: 0.8, time: 5n }),
      child({ source: 'evaluation', value: 0.3, time: 6n }),
      child({ source: 'feedback', value: 0.1, time: 1n }),
    ];
    expect(finalOf(rewards)).toEqual({ final_reward: 0.1, final_reward_source: 'feedback' });
  });

  it('takes the latest feedback, ties on time broken by name', () => {
    expect(
      finalOf([child({ source: 'feedback', value: 1, time: 2n }), child({ source: 'feedback', value: 2, time: 3n })])
        .final_reward,
    ).toBe(2);
    expect(
      finalOf([
        child({ source: 'feedback', value: 1, time: 3n, name: 'b' }),
        child({ source: 'feedback', value: 2, time: 3n, name: 'a' }),
      ]).final_reward,
    ).toBe(1);
  });

  it('takes the latest primary reward span, ties on time broken by the larger span id', () => {
    const rewards = [
      child({ source: 'span', value: 1, time: 4n, span_id: 'bb' }),
      child({ source: 'span', value: 2, time: 4n, span_id: 'aa' }),
      child({ source: 'span', value: 3, time: 2n, span_id: 'zz' }),
    ];
    expect(finalOf(rewards)).toEqual({ final_reward: 1, final_reward_source: 'span' });
  });

  it('ignores reward span dimensions other than 0, however late', () => {
    const rewards = [
      child({ source: 'span', value: 0.5, time: 1n }),
      child({ source: 'span', value: 9, time: 9n, dimension: 1 }),
    ];
    expect(finalOf(rewards).final_reward).toBe(0.5);
    expect(finalOf([child({ source: 'span', value: 9, dimension: 1 })])).toEqual({
      final_reward: null,
      final_reward_source: '',
    });
  });

  it("lets a child without reward spans inherit its root trajectory's reward span", () => {
    expect(finalOf([root({ source: 'span', value: -1, time: 10n })])).toEqual({
      final_reward: -1,
      final_reward_source: 'span',
    });
  });

  it("prefers the child's own reward span to its root's, even an older one", () => {
    expect(
      finalOf([child({ source: 'span', value: 0.5, time: 1n }), root({ source: 'span', value: -1, time: 10n })])
        .final_reward,
    ).toBe(0.5);
  });

  it("ranks the root's reward span above the child's own evaluation", () => {
    const rewards = [
      child({ source: 'evaluation', value: 0.25, time: 6n }),
      root({ source: 'span', value: -1, time: 10n }),
    ];
    expect(finalOf(rewards)).toEqual({ final_reward: -1, final_reward_source: 'span' });
  });

  it('takes the latest evaluation without any reward span, ties on time broken by span id then name', () => {
    const rewards = [
      child({ source: 'evaluation', value: 1, time: 6n, span_id: 'aa', name: 'z' }),
      child({ source: 'evaluation', value: 2, time: 6n, span_id: 'bb', name: 'a' }),
      child({ source: 'evaluation', value: 3, time: 6n, span_id: 'bb', name: 'b' }),
    ];
    expect(finalOf(rewards)).toEqual({ final_reward: 3, final_reward_source: 'evaluation' });
  });

  it("prefers the child's own evaluation to its root's, and falls back to the root's", () => {
    expect(
      finalOf([child({ source: 'evaluation', value: 0.25 }), root({ source: 'evaluation', value: 0.75, time: 9n })])
        .final_reward,
    ).toBe(0.25);
    expect(finalOf([root({ source: 'evaluation', value: 0.75 })])).toEqual({
      final_reward: 0.75,
      final_reward_source: 'evaluation',
    });
  });

  it('does not let a child inherit feedback posted for its root', () => {
    expect(finalOf([root({ source: 'feedback', value: 1 })])).toEqual({ final_reward: null, final_reward_source: '' });
  });

  it('has no final reward without rewards', () => {
    expect(finalReward(undefined, undefined)).toEqual({ final_reward: null, final_reward_source: '' });
  });

  it('keeps the latest reward of each source separately, per trajectory', () => {
    const rewards = [
      child({ source: 'span', value: 1, time: 1n }),
      child({ source: 'evaluation', value: 2, time: 1n }),
      root({ source: 'span', value: 3, time: 1n }),
    ];
    const totals = rewardTotalsByTrajectory(rewards);
    const values = (entry: RewardTotals | undefined) => ({
      feedback: entry?.feedback?.value,
      span: entry?.span?.value,
      evaluation: entry?.evaluation?.value,
    });
    expect(values(totals.get('child'))).toEqual({ feedback: undefined, span: 1, evaluation: 2 });
    expect(values(totals.get('root'))).toEqual({ feedback: undefined, span: 3, evaluation: undefined });
  });
});

describe('outcomeOf', () => {
  it('is success for a final reward above 0 and failure for 0 or below, whatever the root status', () => {
    expect([outcomeOf(0.1, 'error'), outcomeOf(0, 'ok'), outcomeOf(-1, 'ok')]).toEqual([
      'success',
      'failure',
      'failure',
    ]);
  });

  it('is failure without a reward when the root span failed, and unknown otherwise', () => {
    expect([outcomeOf(null, 'error'), outcomeOf(null, 'ok'), outcomeOf(null, 'unset'), outcomeOf(null, '')]).toEqual([
      'failure',
      'unknown',
      'unknown',
      'unknown',
    ]);
  });
});
