/**
 * OTLP AnyValues as JSON: the original attributes, events and links are stored as JSON text so that nothing an
 * agent sent is dropped. int64 values that do not fit a double stay exact as decimal strings; bytes become base64.
 */
import type { AttributeValue, Attributes } from './otlp.ts';

export function attributeValueToJson(value: AttributeValue): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : value;
  }
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(attributeValueToJson);
  return attributesToJson(value);
}

/** True when JSON.stringify would not represent the value faithfully (bigint throws, bytes become an object). */
function needsConversion(value: AttributeValue): boolean {
  if (value === null) return false;
  const type = typeof value;
  if (type === 'bigint') return true;
  if (type !== 'object') return false;
  if (value instanceof Uint8Array) return true;
  if (Array.isArray(value)) return value.some(needsConversion);
  const record = value as Attributes;
  for (const key in record) if (needsConversion(record[key] as AttributeValue)) return true;
  return false;
}

/**
 * The attributes as a JSON-ready object. Most attribute sets hold only strings, numbers and booleans; those are
 * returned as they are instead of copied, because this runs for every span on the ingest hot path.
 */
export function attributesToJson(attributes: Attributes): Record<string, unknown> {
  if (!needsConversion(attributes)) return attributes;
  const result: Record<string, unknown> = {};
  for (const key in attributes) {
    result[key] = attributeValueToJson(attributes[key] as AttributeValue);
  }
  return result;
}
