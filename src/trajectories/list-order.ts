/**
 * The orders `GET /v1/trajectories` and `listTrajectories` list in: by a column of the summary (`start_time`, the
 * default, or one of the numbers), descending (the default) or ascending. Whatever the column, ties go newest first
 * (start desc, then id desc) and trajectories without a value (the final reward of one without a reward) come last
 * in both directions, so a keyset cursor (cursor.ts) pages through the whole list in one stable order. The rule is
 * the sort key of queries/trajectory-summary-page.sql.
 */
import { z } from 'zod';

export const trajectorySortSchema = z.enum([
  'start_time',
  'duration_ms',
  'final_reward',
  'turn_count',
  'tool_call_count',
  'error_count',
  /** input_tokens + output_tokens. */
  'total_tokens',
]);
export type TrajectorySort = z.output<typeof trajectorySortSchema>;

export const sortOrderSchema = z.enum(['desc', 'asc']);
export type SortOrder = z.output<typeof sortOrderSchema>;

export interface TrajectoryListOrder {
  /** @default 'start_time' */
  sort: TrajectorySort;
  /** @default 'desc' */
  order: SortOrder;
}

/** Newest first: the list's order before it was sortable, and what cursors without a sort were made for. */
export const defaultListOrder: TrajectoryListOrder = { sort: 'start_time', order: 'desc' };
