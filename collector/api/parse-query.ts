/**
 * Query strings of the JSON API through a zod schema: each parameter once (a repeated one is ambiguous, so it is a
 * 400 rather than a silent pick), and the first problem as a 400 naming the field.
 */
import type { z } from 'zod';
import { describeIssue } from '../../src/trajectories/filters.ts';
import { HttpError } from '../http/http-error.ts';

export function parseQuery<T extends z.ZodType>(schema: T, url: URL): z.output<T> {
  const values: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (key in values) throw new HttpError(400, `${key}: given more than once`);
    values[key] = value;
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw new HttpError(400, describeIssue(parsed.error));
  return parsed.data;
}
