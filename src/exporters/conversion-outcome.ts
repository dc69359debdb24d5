/**
 * The one way a format says what became of a trajectory: records, or a `Skip` with a reason the export summary
 * prints. Formats never throw to skip, never return an empty record list and keep no skip lists of their own;
 * the message mappers that can fail (arguments that are not JSON, a tool message without a call id) return the
 * same `Skip`, so a reason found deep inside a conversion reaches the summary unchanged. Task-grouped formats
 * (ART groups, preference pairs, one RFT row per task) give every trajectory of the task its own outcome:
 * exported (it went into a record, or a record consumed it) or skipped.
 */

export interface Skip {
  status: 'skipped';
  /** Human-readable, counted as-is in the summary's `skippedByReason`. */
  reason: string;
}

/** A value a mapper produced, or why it could not. */
export type Mapped<T> = { status: 'mapped'; value: T } | Skip;

/** What a per-trajectory format made of one trajectory: at least one record, or a skip. */
export type Converted<R> = { status: 'converted'; records: [R, ...R[]] } | Skip;

/** What a task-grouped format made of one trajectory of the task. */
export type TrajectoryOutcome = { trajectory_id: string } & ({ status: 'exported' } | Skip);

/** What a task-grouped format made of one task: its records and an outcome for every trajectory it was given. */
export interface TaskConversion<R> {
  records: R[];
  outcomes: TrajectoryOutcome[];
}

export function skip(reason: string): Skip {
  return { status: 'skipped', reason };
}

export function mapped<T>(value: T): Mapped<T> {
  return { status: 'mapped', value };
}

export function converted<R>(first: R, ...rest: R[]): Converted<R> {
  return { status: 'converted', records: [first, ...rest] };
}

export function exported(trajectoryId: string): TrajectoryOutcome {
  return { trajectory_id: trajectoryId, status: 'exported' };
}

export function skippedTrajectory(trajectoryId: string, reason: Skip | string): TrajectoryOutcome {
  return {
    trajectory_id: trajectoryId,
    status: 'skipped',
    reason: typeof reason === 'string' ? reason : reason.reason,
  };
}

/** Maps every item, or stops at the first one that cannot be mapped. */
export function mapAll<T, U>(items: readonly T[], map: (item: T, index: number) => Mapped<U>): Mapped<U[]> {
  const values: U[] = [];
  for (const [index, item] of items.entries()) {
    const result = map(item, index);
    if (result.status === 'skipped') return result;
    values.push(result.value);
  }
  return mapped(values);
}
