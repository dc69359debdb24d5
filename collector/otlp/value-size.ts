/**
 * The size of a decoded attribute value as the per-attribute limit measures it: the bytes its payload takes in
 * the OTLP protobuf encoding (UTF-8 length of a string, length of bytes, encoded ArrayValue/KeyValueList size).
 * The protobuf decoder reads this straight off the wire; the JSON decoder computes it here, so one limit means
 * the same thing in both encodings.
 */

import type { AttributeValue } from '../../src/model/otlp.ts';

export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function int64Size(value: number | bigint): number {
  if (typeof value === 'bigint') {
    if (value < 0n) return 10;
    let size = 1;
    while (value >= 0x80n) {
      value >>= 7n;
      size++;
    }
    return size;
  }
  return value < 0 ? 10 : varintSize(value);
}

/** Size of the length-delimited field wrapping `size` bytes (tag + length prefix + payload). */
function fieldSize(size: number): number {
  return 1 + varintSize(size) + size;
}

/** Encoded size of an AnyValue message holding `value`. */
function anyValueMessageSize(value: AttributeValue): number {
  if (value === null) return 0;
  switch (typeof value) {
    case 'boolean':
      return 2;
    case 'number':
      return Number.isInteger(value) ? 1 + int64Size(value) : 9;
    case 'bigint':
      return 1 + int64Size(value);
    default:
      return fieldSize(attributeValuePayloadSize(value));
  }
}

/** Payload size of `value` in bytes; for strings of plain ASCII this is simply their length. */
export function attributeValuePayloadSize(value: AttributeValue): number {
  if (value === null) return 0;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'boolean') return 1;
  if (typeof value === 'number') return Number.isInteger(value) ? int64Size(value) : 8;
  if (typeof value === 'bigint') return int64Size(value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) {
    let size = 0;
    for (const item of value) size += fieldSize(anyValueMessageSize(item));
    return size;
  }
  let size = 0;
  for (const key of Object.keys(value)) {
    const keyValueSize = fieldSize(Buffer.byteLength(key, 'utf8')) + fieldSize(anyValueMessageSize(value[key] ?? null));
    size += fieldSize(keyValueSize);
  }
  return size;
}
