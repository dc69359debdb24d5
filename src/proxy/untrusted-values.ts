/**
 * Readers for the bodies the proxy relays, which are untrusted: a request any agent sent, a response any upstream
 * (or anything pretending to be one) answered. Every reader narrows an `unknown` and answers `undefined` (or an
 * empty list) for the wrong type instead of throwing, and lists are read up to a bound, so a hostile body costs at
 * most its own size. Fixed-shape objects (usage, error envelopes) are read with zod schemas whose fields `.catch`
 * a wrong type, so one bad field never hides the others.
 */
import { z } from 'zod';
import { asRecord } from '../conventions/attributes.ts';

/** Most elements read from any one list in a body: messages, parts, tools, output items, choices, tool calls. */
export const MAX_ITEMS = 10_000;

export { asRecord as record };

/** A string, or undefined. Strings are taken as they come (the capture limit bounds them). */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A non-empty string, or undefined. */
export function nonEmptyText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A finite number, or undefined. */
export function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The first `max` elements of an array, or an empty list for anything else. */
export function items(value: unknown, max = MAX_ITEMS): unknown[] {
  if (!Array.isArray(value)) return [];
  return value.length > max ? value.slice(0, max) : value;
}

/** The objects among the first `max` elements of an array (others skipped). */
export function records(value: unknown, max = MAX_ITEMS): Array<Record<string, unknown>> {
  const found: Array<Record<string, unknown>> = [];
  for (const item of items(value, max)) {
    const object = asRecord(item);
    if (object !== undefined) found.push(object);
  }
  return found;
}

/** The strings of an array (others skipped), or a single string as a one-element list. */
export function texts(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return undefined;
  return items(value).filter((item): item is string => typeof item === 'string');
}

/** A token count: a non-negative finite number; anything else reads as absent. */
export const tokenCount = z.number().nonnegative().optional().catch(undefined);

/** A nested object read with `schema`, absent when it is missing or not an object. */
export function nested<T extends z.ZodType>(schema: T) {
  return schema.optional().catch(undefined);
}

/** JSON text parsed, or `{ ok: false }` when it is not JSON. Never throws (JSON.parse does not recurse). */
export function parseJsonBody(body: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * Tool-call arguments as the GenAI conventions record them, an object, when the provider's JSON text parses and
 * serialises back to exactly the same text; otherwise the text itself (a model's spacing, a cut-off stream), so
 * the canonical arguments the mapping rebuilds are the characters the model produced.
 */
export function toolArguments(argumentsText: string): unknown {
  const parsed = parseJsonBody(argumentsText);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) return argumentsText;
  try {
    return JSON.stringify(parsed.value) === argumentsText ? parsed.value : argumentsText;
  } catch {
    // Nested too deep to serialise: keep the text.
    return argumentsText;
  }
}
