/**
 * The few ClickHouse JSON and URL functions the trajectory views use, with ClickHouse's semantics, so the
 * TypeScript assembly reads a message or an event exactly as `JSONExtractString` / `JSONExtractFloat` /
 * `encodeURLComponent` did: a missing or mistyped value is '' or 0 rather than an error.
 */

/** JSONExtractString: a string as is, a number as its text, anything else ''. */
export function jsonString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return '';
}

/** JSONExtractFloat: a number, a numeric string parsed, anything else 0. */
export function jsonFloat(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const parsed = Number(value.trim());
    return value.trim() !== '' && Number.isFinite(parsed) ? parsed : 0;
  }
  return 0;
}

/** `JSONType(x, 'content') = 'String' ? JSONExtractString : JSONExtractRaw` (minified raw JSON, '' when absent). */
export function stringOrRaw(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}

export function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

export function arrayField(value: unknown, key: string): unknown[] {
  const found = field(value, key);
  return Array.isArray(found) ? found : [];
}

/** toUInt64OrZero of a decimal string. */
export function uint64OrZero(text: string): bigint {
  return /^\d{1,20}$/.test(text) ? BigInt(text) : 0n;
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
    encoded = [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return encoded.replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}
