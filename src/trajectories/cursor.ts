/**
 * Keyset cursors of GET /v1/trajectories: the position after the last trajectory returned, as (trace start,
 * trace id, last trajectory id within that trace). Opaque base64url JSON to clients; a tampered cursor is a 400.
 */
import { z } from 'zod';

export interface TrajectoryCursor {
  /** Start of the trace, unix ns as a decimal string. */
  start: string;
  trace: string;
  /** Trajectories of `trace` with ids <= this were returned already. */
  after: string;
}

const cursorSchema = z.strictObject({
  start: z.string().regex(/^\d{1,20}$/),
  trace: z.string().regex(/^[0-9a-f]{32}$/),
  after: z.string().max(2000),
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
