/**
 * The few ClickHouse JSON and URL functions the trajectory views use, with ClickHouse's semantics, so the
 * TypeScript assembly reads a message or an event exactly as `JSONExtractString` / `JSONExtractFloat` /
 * `encodeURLComponent` did: a missing or mistyped value is '' or 0 rather than an error.
 */

/**
 * JSONExtractString: a string as is, null or a missing key '', any other value as its JSON text (ClickHouse returns
 * the raw text; the stored JSON is minified, so that is JSON.stringify's text).
 */
export function jsonString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return JSON.stringify(value);
}

const decimalText = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const nonFiniteText = /^([+-]?)(inf|infinity|nan)$/i;

/**
 * JSONExtractFloat: a number; a string that is exactly a decimal float (no spaces, no hex, as ClickHouse reads
 * it), or inf / infinity / nan in any case; anything else 0.
 */
export function jsonFloat(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return 0;
  if (decimalText.test(value)) return Number(value);
  const nonFinite = nonFiniteText.exec(value);
  if (!nonFinite) return 0;
  if (nonFinite[2]!.toLowerCase() === 'nan') return Number.NaN;
  return nonFinite[1] === '-' ? -Infinity : Infinity;
}

/** `JSONType(x, 'content') = 'String' ? JSONExtractString : JSONExtractRaw` (minified raw JSON, '' when absent). */
export function stringOrRaw(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}

export function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

export function arrayField(value: unknown, key: string): unknown[] {
  const found = field(value, key);
  return Array.isArray(found) ? found : [];
}

const uint64Max = 2n ** 64n - 1n;

/** toUInt64OrZero of a decimal string: an optional '+', digits, within UInt64; anything else 0. */
export function uint64OrZero(text: string): bigint {
  if (!/^\+?\d{1,20}$/.test(text)) return 0n;
  const value = BigInt(text.startsWith('+') ? text.slice(1) : text);
  return value <= uint64Max ? value : 0n;
}

/**
 * ClickHouse encodeURLComponent keeps only A-Z a-z 0-9 - _ . ~ (encodeURIComponent also keeps ! ' ( ) *).
 * Uppercase hex, UTF-8 bytes.
 */
export function encodeUrlComponent(text: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch {
    encoded = [...Buffer.from(text, 'utf8')]
      .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)
      .join('');
  }
  return encoded.replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}
