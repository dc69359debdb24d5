/**
 * The contract every export format implements: a name, a zod schema of one output record (which also defines
 * the record's Parquet columns, see writers/parquet-structure.ts) and a pure conversion. A per-trajectory format
 * turns one trajectory into records or a skip; a task-grouped format turns the selected trajectories of one task
 * into records and an outcome per trajectory (conversion-outcome.ts). Formats never invent data: a trajectory
 * that lacks what the format needs (a reward, a user prompt, a pair) is skipped with a reason the export
 * summary shows.
 */
import type { z } from 'zod';
import type { Trajectory } from '../model/trajectory.ts';
import type { Converted, TaskConversion } from './conversion-outcome.ts';

/** Which reward or credit value a record carries. Per-turn values come from `trajectory.credit`. */
export const creditColumns = ['final', 'discounted', 'air_shaped', 'advantage'] as const;
export type CreditColumn = (typeof creditColumns)[number];

export interface FormatOptions {
  /** @default 'final' */
  credit: CreditColumn;
  /** Export trajectories without a final reward in formats that can do without one (SFT). @default false */
  includeUnrewarded: boolean;
  /** Smallest reward difference between the two trajectories of a preference pair. @default 0.1 */
  preferenceMargin: number;
  /** `trl-kto`: `label` is true when the reward is at least this. @default 0.5 */
  labelThreshold: number;
  /** `openai-sft`: add `weight` (0 or 1) to assistant messages, 1 when the turn's credit exceeds this. */
  weightThreshold: number | undefined;
  /**
   * `openai-rft` / `fireworks`: reference fields added to each record, field name -> source. A source is
   * `final_answer` (the trajectory's last assistant text), `task`, `task_id`, `reward:<name>` (that reward's
   * comment, else its value) or `tool:<name>` (the last result of that tool). @default { ground_truth: 'final_answer' }
   */
  referenceFields: Record<string, string>;
}

export const defaultFormatOptions: FormatOptions = {
  credit: 'final',
  includeUnrewarded: false,
  preferenceMargin: 0.1,
  labelThreshold: 0.5,
  weightThreshold: undefined,
  referenceFields: { ground_truth: 'final_answer' },
};

/** A trajectory that went into no record, as the export summary lists it. */
export interface SkippedTrajectory {
  trajectory_id: string;
  reason: string;
}

interface FormatDefinition<R> {
  name: string;
  description: string;
  recordSchema: z.ZodType<R>;
  /** Keys a record carries beyond its schema's declared fields with these options (its catchall), for Parquet. */
  extraColumns?: (options: FormatOptions) => string[];
}

/** Each trajectory stands alone. */
export interface PerTrajectoryFormat<R> extends FormatDefinition<R> {
  grouping: 'trajectory';
  convert(trajectory: Trajectory, options: FormatOptions): Converted<R>;
}

/**
 * Records combine several trajectories of one task (ART groups, preference pairs, one RFT row per task): the
 * exporter hands over all selected trajectories of a task in one call.
 */
export interface PerTaskFormat<R> extends FormatDefinition<R> {
  grouping: 'task';
  convertTask(trajectories: Trajectory[], options: FormatOptions): TaskConversion<R>;
}

export type ExportFormat<R = unknown> = PerTrajectoryFormat<R> | PerTaskFormat<R>;
