/** Runs a per-trajectory conversion, turning `SkipTrajectory` (and "no record") into skip reasons. */
import type { Trajectory } from '../model/trajectory.ts';
import type { FormatResult } from './export-format.ts';
import { SkipTrajectory } from './message-shapes.ts';

export function perTrajectory<R>(trajectories: Trajectory[], convert: (trajectory: Trajectory) => R[] | string): FormatResult<R> {
  const result: FormatResult<R> = { records: [], skipped: [] };
  for (const trajectory of trajectories) {
    try {
      const converted = convert(trajectory);
      if (typeof converted === 'string') result.skipped.push({ trajectory_id: trajectory.id, reason: converted });
      else if (converted.length === 0) result.skipped.push({ trajectory_id: trajectory.id, reason: 'no records' });
      else result.records.push(...converted);
    } catch (error) {
      if (!(error instanceof SkipTrajectory)) throw error;
      result.skipped.push({ trajectory_id: trajectory.id, reason: error.message });
    }
  }
  return result;
}
