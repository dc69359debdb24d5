import { describe, expect, it } from 'vitest';
import {
  addToGroup,
  computeCredit,
  emptyGroup,
  mergeGroups,
  type GroupStats,
} from '../../../src/trajectories/credit.ts';

// Dyadic AIR rewards, final rewards and gamma, so every expected value below is exact in binary floating point.
const threeTurns = [
  { span_id: 't0', air_reward: 0.25 },
  { span_id: 't1', air_reward: -0.5 },
  { span_id: 't2', air_reward: 0.75 },
];
const groupOf = (...rewards: number[]): GroupStats => rewards.reduce(addToGroup, emptyGroup);
const column = <K extends keyof ReturnType<typeof computeCredit>[number]>(
  credit: ReturnType<typeof computeCredit>,
  key: K,
) => credit.map((turn) => turn[key]);

describe('computeCredit: returns per LLM call', () => {
  it('gives every call the final reward as identical credit', () => {
    expect(column(computeCredit(threeTurns, 2, true, emptyGroup, 0.5), 'identical')).toEqual([2, 2, 2]);
  });

  it('discounts the final reward by gamma^(T-1-t)', () => {
    expect(column(computeCredit(threeTurns, 2, true, emptyGroup, 0.5), 'discounted')).toEqual([0.5, 1, 2]);
  });

  it('adds the discounted AIR rewards from this turn on to the discounted final reward', () => {
    // AIR returns with gamma 0.5: t2 = 0.75; t1 = -0.5 + 0.375 = -0.125; t0 = 0.25 - 0.0625 = 0.1875.
    expect(column(computeCredit(threeTurns, 2, true, emptyGroup, 0.5), 'air_shaped')).toEqual([0.6875, 0.875, 2.75]);
  });

  it('does not discount at gamma 1', () => {
    const credit = computeCredit(threeTurns, 2, true, emptyGroup, 1);
    expect(column(credit, 'discounted')).toEqual([2, 2, 2]);
    expect(column(credit, 'air_shaped')).toEqual([2.5, 2.25, 2.75]);
  });

  it('credits only the last call with the final reward at gamma 0, and each call with its own AIR reward', () => {
    const credit = computeCredit(threeTurns, 2, true, emptyGroup, 0);
    expect(column(credit, 'discounted')).toEqual([0, 0, 2]);
    expect(column(credit, 'air_shaped')).toEqual([0.25, -0.5, 2.75]);
  });

  it("numbers the credit rows by turn and names each turn's span", () => {
    expect(
      computeCredit(threeTurns, 1, true, emptyGroup, 0.5).map(({ turn_index, span_id }) => [turn_index, span_id]),
    ).toEqual([
      [0, 't0'],
      [1, 't1'],
      [2, 't2'],
    ]);
  });

  it('leaves every credit column NULL without a final reward, even with AIR rewards and a group', () => {
    const credit = computeCredit(threeTurns, null, true, groupOf(1, 3), 0.5);
    for (const turn of credit)
      expect(turn).toMatchObject({ identical: null, discounted: null, air_shaped: null, advantage: null });
  });

  it('has no credit rows for a trajectory without turns', () => {
    expect(computeCredit([], 1, true, groupOf(1, 3), 0.5)).toEqual([]);
  });
});

describe('computeCredit: group-relative advantage', () => {
  it('is (R - mean) / population std, so two members get +1 and -1', () => {
    const group = groupOf(1, 3);
    expect(computeCredit(threeTurns, 3, true, group, 0.5).map((turn) => turn.advantage)).toEqual([1, 1, 1]);
    expect(computeCredit(threeTurns, 1, true, group, 0.5)[0]).toMatchObject({
      advantage: -1,
      group_size: 2,
      group_mean: 2,
      group_std: 1,
    });
  });

  it('uses the population std, not the sample std', () => {
    // Rewards 0, 0, 3, 5: mean 2, population variance 4.5 (sample variance 6).
    const [turn] = computeCredit(threeTurns.slice(0, 1), 5, true, groupOf(0, 0, 3, 5), 0.5);
    expect(turn?.group_std).toBe(Math.sqrt(4.5));
    expect(turn?.advantage).toBe(3 / Math.sqrt(4.5));
  });

  it('is 0 for a group of one', () => {
    expect(computeCredit(threeTurns, 0.5, true, groupOf(0.5), 0.5)[0]).toMatchObject({
      advantage: 0,
      group_size: 1,
      group_mean: 0.5,
      group_std: 0,
    });
  });

  it('is 0 for a group of one even when its stored statistics claim a spread', () => {
    const inconsistent: GroupStats = { members: 1, mean: 0, variance: 4 };
    expect(computeCredit(threeTurns, 1, true, inconsistent, 0.5)[0]?.advantage).toBe(0);
  });

  it('is 0 when every member has the same reward (zero std)', () => {
    expect(computeCredit(threeTurns, 1, true, groupOf(1, 1, 1), 0.5)[0]).toMatchObject({
      advantage: 0,
      group_size: 3,
      group_std: 0,
    });
  });

  it('is 0 for a std below 1e-12, and computed just above it', () => {
    const tiny: GroupStats = { members: 2, mean: 1, variance: 1e-26 };
    expect(computeCredit(threeTurns, 2, true, tiny, 0.5)[0]?.advantage).toBe(0);
    const small: GroupStats = { members: 2, mean: 1, variance: 0.25e-22 };
    expect(computeCredit(threeTurns, 2, true, small, 0.5)[0]?.advantage).toBe(1 / Math.sqrt(0.25e-22));
  });

  it('is 0 for a trajectory with no group stats at all (no task id)', () => {
    expect(computeCredit(threeTurns, 1, true, emptyGroup, 0.5)[0]).toMatchObject({
      advantage: 0,
      group_size: 0,
      group_mean: 0,
      group_std: 0,
    });
  });

  it('is NULL for an incomplete trajectory, whose returns are still computed', () => {
    const [first] = computeCredit(threeTurns, 3, false, groupOf(1, 3), 0.5);
    expect(first).toMatchObject({ identical: 3, discounted: 0.75, advantage: null, group_size: 2 });
  });
});

describe('group statistics', () => {
  it('accumulates members, mean and population variance one value at a time', () => {
    expect(groupOf(1, 2, 3, 4)).toEqual({ members: 4, mean: 2.5, variance: 1.25 });
  });

  it("merges two parts into the statistics of their union (Chan's formula)", () => {
    expect(mergeGroups(groupOf(1, 2), groupOf(3, 4))).toEqual(groupOf(1, 2, 3, 4));
    expect(mergeGroups(groupOf(5), groupOf(1, 3))).toEqual({ members: 3, mean: 3, variance: 8 / 3 });
  });

  it('treats an empty part as neutral', () => {
    expect(mergeGroups(emptyGroup, groupOf(1, 3))).toEqual(groupOf(1, 3));
    expect(mergeGroups(groupOf(1, 3), emptyGroup)).toEqual(groupOf(1, 3));
    expect(mergeGroups(emptyGroup, emptyGroup)).toEqual(emptyGroup);
  });
});
