/**
 * OTLP AnyValues as JSON: the original attributes, events and links are stored as JSON text so that nothing an
 * agent sent is dropped. int64 values that do not fit a double stay exact as decimal strings; bytes become base64.
 */
import type { AttributeValue, Attributes } from './otlp.ts';

export function attributeValueToJson(value: AttributeValue): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : value;
  }
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(attributeValueToJson);
  return attributesToJson(value);
}

export function attributesToJson(attributes: Attributes): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const key in attributes) {
    result[key] = attributeValueToJson(attributes[key] as AttributeValue);
  }
  return result;
}
