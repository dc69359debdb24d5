/**
 * Runs a format over a batch of trajectories and sorts out what became of each: the records, the ids that went
 * into them, and the skipped ones with their reasons. Task-grouped formats get one task's trajectories per
 * call and must account for every one of them. `trajectories export` and the scheduled jobs (through
 * run-export.ts) count exports and skips only here, so a format has exactly one way to skip.
 */
import type { Trajectory } from '../model/trajectory.ts';
import type { TrajectoryOutcome } from './conversion-outcome.ts';
import { groupByTask } from './conversation.ts';
import type { ExportFormat, FormatOptions, SkippedTrajectory } from './export-format.ts';

export interface BatchConversion<R> {
  records: R[];
  /** Trajectories that went into records (or that a record consumed), in batch order. */
  exportedIds: string[];
  skipped: SkippedTrajectory[];
}

/** Checks a task conversion named each trajectory of its task once, and no other: a format bug otherwise. */
function outcomesById(
  format: string,
  group: Trajectory[],
  outcomes: TrajectoryOutcome[],
): Map<string, TrajectoryOutcome> {
  const byId = new Map<string, TrajectoryOutcome>();
  const members = new Set(group.map((trajectory) => trajectory.id));
  for (const outcome of outcomes) {
    if (!members.has(outcome.trajectory_id))
      throw new Error(
        `format ${format} gave an outcome for ${JSON.stringify(outcome.trajectory_id)}, which is not in its task`,
      );
    if (byId.has(outcome.trajectory_id))
      throw new Error(`format ${format} gave trajectory ${JSON.stringify(outcome.trajectory_id)} two outcomes`);
    byId.set(outcome.trajectory_id, outcome);
  }
  const missing = group.find((trajectory) => !byId.has(trajectory.id));
  if (missing) throw new Error(`format ${format} gave no outcome for trajectory ${JSON.stringify(missing.id)}`);
  return byId;
}

export function convertBatch<R>(
  format: ExportFormat<R>,
  trajectories: Trajectory[],
  options: FormatOptions,
): BatchConversion<R> {
  const result: BatchConversion<R> = { records: [], exportedIds: [], skipped: [] };
  if (format.grouping === 'trajectory') {
    for (const trajectory of trajectories) {
      const outcome = format.convert(trajectory, options);
      if (outcome.status === 'skipped') {
        result.skipped.push({ trajectory_id: trajectory.id, reason: outcome.reason });
      } else {
        result.records.push(...outcome.records);
        result.exportedIds.push(trajectory.id);
      }
    }
    return result;
  }
  for (const group of groupByTask(trajectories)) {
    const { records, outcomes } = format.convertTask(group, options);
    const byId = outcomesById(format.name, group, outcomes);
    result.records.push(...records);
    // Skips in the order the format reported them (its reasons read best that way), exports in batch order.
    for (const outcome of outcomes)
      if (outcome.status === 'skipped')
        result.skipped.push({ trajectory_id: outcome.trajectory_id, reason: outcome.reason });
    for (const trajectory of group)
      if (byId.get(trajectory.id)?.status === 'exported') result.exportedIds.push(trajectory.id);
  }
  return result;
}
