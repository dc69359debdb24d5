/**
 * Typed readers over decoded OTLP attribute values. Conventions disagree on how they encode the same thing (an
 * int64 may arrive as a number, a bigint or a numeric string; a message list as a JSON string or as a structured
 * AnyValue), so every mapper reads through these instead of trusting one encoding. JSON is parsed at most once per
 * attribute by the caller that owns it; these helpers never cache or rescan.
 */
import { parseJsonText } from './parse-json-text.ts';

/** A string attribute, or undefined when absent, empty or not a string. */
export function readString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A finite number from a number, a bigint or a numeric string (some SDKs stringify int64). */
export function readNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** A string array from an array attribute, a JSON array string, or a single string. */
export function readStringArray(value: unknown): string[] | undefined {
  const parsed = parseJson(value);
  if (Array.isArray(parsed)) {
    const out: string[] = [];
    for (const item of parsed) if (typeof item === 'string') out.push(item);
    return out;
  }
  return typeof parsed === 'string' && parsed !== '' ? [parsed] : undefined;
}

/**
 * The structured value behind an attribute: strings that hold a JSON object or array are parsed (once), anything
 * else is returned as is. Structured AnyValues (kvlists, arrays) are already plain objects and arrays.
 */
export function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const first = value.trimStart()[0];
  if (first !== '{' && first !== '[') return value;
  try {
    return parseJsonText(value);
  } catch {
    // Not JSON after all (truncated by an attribute length limit, or plain text that starts with a bracket).
    return value;
  }
}

/** Like parseJson, but also parses JSON scalars ("42", "true", "\"text\"") for attributes documented as JSON. */
export function parseJsonLoose(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return parseJsonText(value);
  } catch {
    return value;
  }
}

/** A plain object (kvlist or parsed JSON object), or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * `table[key]` when `key` is one of the table's own entries. Keys come from untrusted telemetry, and a plain
 * index would answer `constructor` or `toString` with an Object.prototype member.
 */
export function ownEntry<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Nesting kept when a value is too deep for JSON.stringify's recursion; deeper levels become a marker. */
const MAX_JSON_DEPTH = 64;
const TOO_DEEP_MARKER = '[nested too deep]';

/**
 * JSON text of any value; bigints become numbers (or strings when unsafe) and bytes become base64. A value nested
 * too deep for the stack (an attribute can be thousands of kvlists deep) keeps its first levels instead of
 * throwing, so one hostile attribute costs its own depth, not the span's mapping.
 */
export function toJsonText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value ?? null, jsonReplacer) ?? 'null';
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return JSON.stringify(capDepth(value, 0), jsonReplacer) ?? 'null';
  }
}

function capDepth(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  if (depth >= MAX_JSON_DEPTH) return TOO_DEEP_MARKER;
  if (Array.isArray(value)) return value.map((item) => capDepth(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, capDepth(item, depth + 1)]));
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}
