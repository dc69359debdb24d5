/**
 * Preference pairs from complete trajectories of the same task: rewards sorted high to low, the best paired
 * with the worst, the second best with the second worst, ... while the difference is at least the margin. Each
 * trajectory is in at most one pair, so a pair never repeats and the output stays linear in the input. The
 * shared prompt of a pair is the longest common prefix of the two conversations: the outputs start where the
 * two runs first diverged. A trajectory in no pair is skipped with the reason; so are both of a pair whose
 * messages the format cannot write.
 */
import type { Trajectory } from '../model/trajectory.ts';
import {
  exported,
  skippedTrajectory,
  type Mapped,
  type TaskConversion,
  type TrajectoryOutcome,
} from './conversion-outcome.ts';
import { buildConversation, endAtLastGenerated, type ConversationMessage } from './conversation.ts';
import { missingRewardReason, trajectoryReward } from './credit.ts';
import type { FormatOptions } from './export-format.ts';

export interface PreferencePair {
  preferred: Trajectory;
  rejected: Trajectory;
  preferredReward: number;
  rejectedReward: number;
  /** Messages both runs share. */
  prompt: ConversationMessage[];
  /** What each run did after the shared prompt (assistant and tool messages). */
  preferredContinuation: ConversationMessage[];
  rejectedContinuation: ConversationMessage[];
}

function sameMessage(a: ConversationMessage, b: ConversationMessage): boolean {
  return JSON.stringify(a.message) === JSON.stringify(b.message);
}

/** The pairs among one task's trajectories, and the trajectories left out of every pair (skipped, with why). */
export function preferencePairs(
  group: Trajectory[],
  options: FormatOptions,
): { pairs: PreferencePair[]; unpaired: TrajectoryOutcome[] } {
  const pairs: PreferencePair[] = [];
  const unpaired: TrajectoryOutcome[] = [];
  const scored: Array<{ trajectory: Trajectory; reward: number }> = [];
  for (const trajectory of group) {
    const reward = trajectoryReward(trajectory, options.credit);
    if (reward === null)
      unpaired.push(skippedTrajectory(trajectory.id, missingRewardReason(trajectory, options.credit)));
    else scored.push({ trajectory, reward });
  }
  scored.sort((a, b) => b.reward - a.reward || a.trajectory.id.localeCompare(b.trajectory.id));
  let low = scored.length - 1;
  let high = 0;
  const paired = new Set<string>();
  while (high < low) {
    const best = scored[high] as { trajectory: Trajectory; reward: number };
    const worst = scored[low] as { trajectory: Trajectory; reward: number };
    if (best.reward - worst.reward < options.preferenceMargin) break;
    const preferredConversation = endAtLastGenerated(buildConversation(best.trajectory));
    const rejectedConversation = endAtLastGenerated(buildConversation(worst.trajectory));
    let common = 0;
    while (
      common < preferredConversation.length &&
      common < rejectedConversation.length &&
      sameMessage(
        preferredConversation[common] as ConversationMessage,
        rejectedConversation[common] as ConversationMessage,
      )
    ) {
      common++;
    }
    const prompt = preferredConversation.slice(0, common);
    const preferredContinuation = preferredConversation.slice(common);
    const rejectedContinuation = rejectedConversation.slice(common);
    const divergesAtModel =
      prompt.some((entry) => entry.message.role === 'user') &&
      preferredContinuation[0]?.turnIndex !== undefined &&
      rejectedContinuation[0]?.turnIndex !== undefined;
    if (divergesAtModel) {
      pairs.push({
        preferred: best.trajectory,
        rejected: worst.trajectory,
        preferredReward: best.reward,
        rejectedReward: worst.reward,
        prompt,
        preferredContinuation,
        rejectedContinuation,
      });
      paired.add(best.trajectory.id);
      paired.add(worst.trajectory.id);
    }
    high++;
    low--;
  }
  for (const { trajectory } of scored) {
    if (!paired.has(trajectory.id)) {
      unpaired.push(
        skippedTrajectory(
          trajectory.id,
          `no pair in its task with a reward difference >= ${options.preferenceMargin} and a shared prompt`,
        ),
      );
    }
  }
  return { pairs, unpaired };
}

/** One task of a preference format: a record per pair the format can write, an outcome for every trajectory. */
export function pairRecords<R>(
  group: Trajectory[],
  options: FormatOptions,
  toRecord: (pair: PreferencePair) => Mapped<R>,
): TaskConversion<R> {
  const { pairs, unpaired } = preferencePairs(group, options);
  const records: R[] = [];
  const outcomes = [...unpaired];
  for (const pair of pairs) {
    const record = toRecord(pair);
    if (record.status === 'skipped') {
      outcomes.push(skippedTrajectory(pair.preferred.id, record), skippedTrajectory(pair.rejected.id, record));
    } else {
      records.push(record.value);
      outcomes.push(exported(pair.preferred.id), exported(pair.rejected.id));
    }
  }
  return { records, outcomes };
}
