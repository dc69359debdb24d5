/**
 * Keyset cursors of GET /v1/trajectories: the position after the last trajectory returned, in the list's order
 * (list-order.ts) as queries/trajectory-summary-page.sql sorts it: (sort key, trajectory start, trajectory id),
 * plus the sort and order the cursor was made for, since a position in one order means nothing in another. Opaque
 * base64url JSON to clients; a tampered cursor (or one from before the summaries table) is a 400, and so is a cursor
 * used with another sort or order. Cursors from before sortable lists (start and id only) are newest-first ones.
 */
import { z } from 'zod';
import { defaultListOrder, sortOrderSchema, trajectorySortSchema, type TrajectoryListOrder } from './list-order.ts';

export interface TrajectoryCursor extends TrajectoryListOrder {
  /**
   * The last trajectory's sort key: 0 for `start_time`; else its value, negated for `asc`; null when it had no
   * value (the key is -inf then, which JSON cannot carry).
   */
  key: number | null;
  /** Start of the last trajectory returned, unix ns as a decimal string. */
  start: string;
  /** Its id: the next page holds trajectories strictly after (key, start, id) in the list's order. */
  id: string;
}

const position = {
  start: z
    .string()
    .regex(/^\d{1,20}$/)
    .refine((value) => BigInt(value) < 2n ** 64n, 'out of range'),
  id: z.string().min(1).max(2000),
};

const cursorSchema = z.union([
  z
    .strictObject({ sort: trajectorySortSchema, order: sortOrderSchema, key: z.number().nullable(), ...position })
    .refine((cursor) => cursor.sort !== 'start_time' || cursor.key === 0, 'a start_time cursor has key 0'),
  z.strictObject(position).transform((cursor) => ({ ...defaultListOrder, key: 0, ...cursor })),
]);

export class InvalidCursorError extends Error {
  constructor(message = 'cursor: not a cursor this API returned') {
    super(message);
    this.name = 'InvalidCursorError';
  }
}

const describeOrder = ({ sort, order }: TrajectoryListOrder) => `sort=${sort}&order=${order}`;

export function encodeCursor(cursor: TrajectoryCursor): string {
  const { sort, order, key, start, id } = cursor;
  return Buffer.from(JSON.stringify({ sort, order, key, start, id })).toString('base64url');
}

/** The cursor in `text`, which must have been made for `expected` (the sort and order of the request). */
export function decodeCursor(text: string, expected: TrajectoryListOrder = defaultListOrder): TrajectoryCursor {
  let cursor: TrajectoryCursor;
  try {
    cursor = cursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidCursorError();
  }
  if (cursor.sort !== expected.sort || cursor.order !== expected.order)
    throw new InvalidCursorError(
      `cursor: made for ${describeOrder(cursor)}, not ${describeOrder(expected)}; ` +
        'page with the sort and order it was made for, or start again without a cursor',
    );
  return cursor;
}
