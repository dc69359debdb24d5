/**
 * Keyset cursors of GET /v1/trajectories: the position after the last trajectory returned, as (trajectory start,
 * trajectory id), the sort key of `trajectory_summaries` read newest first. Opaque base64url JSON to clients; a
 * tampered cursor (or one from before the summaries table) is a 400.
 */
import { z } from 'zod';

export interface TrajectoryCursor {
  /** Start of the last trajectory returned, unix ns as a decimal string. */
  start: string;
  /** Its id: the next page holds trajectories strictly before (start, id). */
  id: string;
}

const cursorSchema = z.strictObject({
  start: z
    .string()
    .regex(/^\d{1,20}$/)
    .refine((value) => BigInt(value) < 2n ** 64n, 'out of range'),
  id: z.string().min(1).max(2000),
});

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor: not a cursor this API returned');
    this.name = 'InvalidCursorError';
  }
}

export function encodeCursor(cursor: TrajectoryCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(text: string): TrajectoryCursor {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidCursorError();
  }
}
