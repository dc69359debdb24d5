/**
 * Filters of `GET /v1/trajectories` and of `listTrajectories`: one zod schema validates both the query string
 * (values arrive as strings) and programmatic callers, so a bad value is a 400 naming its field in the API and
 * the same message for library users. Times are RFC 3339 or unix milliseconds / nanoseconds, parsed into
 * nanoseconds (as decimal-free bigints, because nanosecond timestamps do not fit a JS number).
 */
import { z } from 'zod';
import { outcomeSchema } from '../model/trajectory.ts';

/** Below this a bare integer is read as milliseconds, above it as nanoseconds (year 2286 in ms; 1973 in ns). */
const nanosecondThreshold = 10_000_000_000_000n;
/** Timestamps are UInt64 nanoseconds in ClickHouse; a larger value would wrap around there, not fail. */
export const maxUnixNanoseconds = 2n ** 64n - 1n;

export function parseTimeToNanoseconds(value: string | number | bigint): bigint | undefined {
  if (typeof value === 'bigint') return value >= 0n && value <= maxUnixNanoseconds ? value : undefined;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) {
    const integer = BigInt(text);
    const nanoseconds = integer >= nanosecondThreshold ? integer : integer * 1_000_000n;
    return nanoseconds <= maxUnixNanoseconds ? nanoseconds : undefined;
  }
  // RFC 3339 needs a date, a time and an offset; Date.parse alone would also take "2024" or "May 1".
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const millis = Date.parse(text);
  if (Number.isNaN(millis)) return undefined;
  const fraction = /\.(\d+)/.exec(text)?.[1] ?? '';
  // Keep sub-millisecond digits that Date drops.
  const subMillisecond = BigInt((fraction.slice(3) + '000000').slice(0, 6));
  return BigInt(millis) * 1_000_000n + subMillisecond;
}

const time = z.union([z.string(), z.number(), z.bigint()]).transform((value, context) => {
  const parsed = parseTimeToNanoseconds(value);
  if (parsed === undefined) {
    context.addIssue({
      code: 'custom',
      message: `${JSON.stringify(String(value))} is not an RFC 3339 time or unix ms/ns`,
    });
    return z.NEVER;
  }
  return parsed;
});

const reward = z
  .union([z.number(), z.string().trim().min(1)])
  .pipe(z.coerce.number())
  .refine(Number.isFinite, 'must be a finite number');

const booleanText = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
  .transform((value) => value === true || value === 'true' || value === '1');

export const trajectoryFiltersSchema = z.strictObject({
  trace_id: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hexadecimal characters')
    .transform((value) => value.toLowerCase())
    .optional(),
  agent: z.string().min(1).max(1000).optional(),
  /** Task id (explicit, `msg:...` or `task:...` hash) or the exact task description. */
  task: z.string().min(1).max(10_000).optional(),
  /** The outcome shown: a person's override (annotations) when there is one, else the computed one. */
  outcome: outcomeSchema.optional(),
  /** Trajectories annotated with this tag. */
  tag: z.string().trim().min(1).max(200).optional(),
  /** Trajectories a person marked reviewed (true) or not (false). */
  human_reviewed: booleanText.optional(),
  min_reward: reward.optional(),
  max_reward: reward.optional(),
  since: time.optional(),
  until: time.optional(),
  complete: booleanText.optional(),
});
export type TrajectoryFilters = z.output<typeof trajectoryFiltersSchema>;
export type TrajectoryFiltersInput = z.input<typeof trajectoryFiltersSchema>;

/** The first problem of a failed parse as one message that names the field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  const field = issue.path.map(String).join('.') || 'request';
  if (issue.code === 'unrecognized_keys')
    return `unknown parameter ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`;
  return `${field}: ${issue.message}`;
}
