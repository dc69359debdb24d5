/**
 * Zod schemas for the parts of OTLP/JSON that traces and logs share, validating the body at the trust boundary
 * and converting wire scalars on the way (hex ids, int64 as string or number, enum integers or names, base64
 * bytes). The mapping follows the OTLP spec's "JSON Protobuf Encoding": proto3 JSON with lowerCamelCase keys,
 * hex (not base64) trace/span ids and integer enums. Receivers are lenient beyond that on purpose: snake_case
 * keys and enum name strings, which real senders emit, are accepted too; unknown keys are ignored, as the spec
 * requires so newer senders keep working.
 */

import { z } from 'zod';
import type { AttributeValue } from '../../src/model/otlp.ts';
import { ANY_VALUE_TOO_DEEP, MAX_ANY_VALUE_DEPTH } from './limits.ts';

function toLowerCamelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

/**
 * Renames snake_case keys to lowerCamelCase before validation; when a sender sets both spellings, the
 * lowerCamelCase one (the spec's) wins. Objects without snake_case keys are returned as they are.
 */
function camelizeKeys(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const source = input as Record<string, unknown>;
  const keys = Object.keys(source);
  if (!keys.some((key) => key.includes('_'))) return input;
  const renamed: Record<string, unknown> = {};
  for (const key of keys) {
    const camel = key.includes('_') ? toLowerCamelCase(key) : key;
    if (camel !== key && Object.hasOwn(source, camel)) continue;
    renamed[camel] = source[key];
  }
  return renamed;
}

/** An OTLP message: an object with lowerCamelCase (or snake_case) keys; null means absent, as in proto3 JSON. */
export function message<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.preprocess(camelizeKeys, z.object(shape)).nullish();
}

/** A repeated field; absent or null is the empty list. */
export function repeated<Item extends z.ZodType>(item: Item) {
  return z
    .array(item)
    .nullish()
    .transform((items): z.output<Item>[] => items ?? []);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * A scalar field parsed by `parse` (which returns undefined for an invalid value); absent or null yields
 * `empty`, the proto3 default.
 */
function scalar<T, Empty>(expected: string, empty: Empty, parse: (value: unknown) => T | undefined) {
  return (
    z
      .unknown()
      .transform((value, context): T | Empty => {
        if (value === undefined || value === null) return empty;
        const parsed = parse(value);
        if (parsed === undefined) {
          context.addIssue({ code: 'custom', message: `expected ${expected}, got ${describe(value)}`, input: value });
          return z.NEVER;
        }
        return parsed;
      })
      // Without it zod skips the transform for an absent key (unknown() counts as optional) and then fails.
      .prefault(null)
  );
}

/**
 * Every string of the model passes here. A JSON `\ud83d` escape (or a text cut mid-emoji by its sender) yields a
 * lone surrogate, which has no UTF-8 form: ClickHouse would refuse the stored row long after the request was
 * acknowledged. U+FFFD takes its place, as it does for invalid UTF-8 in protobuf bodies; the check costs a scan.
 */
function parseString(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.isWellFormed() ? value : value.toWellFormed();
}

export const stringField = scalar('a string', '', parseString);

const INTEGER_TEXT = /^-?\d+$/;

/** int64 as a decimal string or a number: a plain number when it is a safe integer, else a bigint. */
export function parseInt64(value: unknown): number | bigint | undefined {
  let big: bigint;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return undefined;
    if (Number.isSafeInteger(value)) return value;
    big = BigInt(value);
  } else if (typeof value === 'string' && INTEGER_TEXT.test(value)) {
    big = BigInt(value);
  } else {
    return undefined;
  }
  if (big !== BigInt.asIntN(64, big)) return undefined;
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

const INT64_EXPECTED = 'an int64 as a decimal string or integer';

/** fixed64 timestamps in nanoseconds: decimal string or number, always a bigint. */
export const uint64Field = scalar('a uint64 as a decimal string or integer', 0n, (value) => {
  let big: bigint;
  if (typeof value === 'number' && Number.isInteger(value)) big = BigInt(value);
  else if (typeof value === 'string' && /^\d+$/.test(value)) big = BigInt(value);
  else return undefined;
  return big === BigInt.asUintN(64, big) ? big : undefined;
});

export const uint32Field = scalar('a uint32', 0, (value) => {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) && number >= 0 && number <= 0xffffffff
    ? number
    : undefined;
});

const SPECIAL_DOUBLES: Record<string, number> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity };

function parseDouble(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const special = SPECIAL_DOUBLES[value];
  if (special !== undefined) return special;
  const number = Number(value);
  return value.trim() !== '' && !Number.isNaN(number) ? number : undefined;
}

/**
 * An enum as its integer value (the spec's form) or its name (e.g. `SPAN_KIND_SERVER`); unknown integers are
 * kept, as proto3 does, and the caller maps them to its default.
 */
export function enumField(names: readonly string[]) {
  return scalar(`an integer enum value or one of ${names.join(', ')}`, 0, (value) => {
    if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
    if (typeof value !== 'string') return undefined;
    const index = names.indexOf(value);
    return index >= 0 ? index : undefined;
  });
}

const HEX_TEXT = /^(?:[0-9a-fA-F]{2})*$/;

/**
 * A trace or span id: hex as the OTLP spec mandates (not base64 as plain proto3 JSON would), case-insensitive,
 * returned lower-case. Hex of the wrong length is passed on so the item is rejected like its protobuf
 * equivalent; anything that is not hex at all means the sender uses the wrong encoding for the whole body.
 */
export function hexIdField(byteLength: number) {
  return scalar(`${byteLength * 2} hex characters (OTLP/JSON ids are hex, not base64)`, '', (value) =>
    typeof value === 'string' && HEX_TEXT.test(value) ? value.toLowerCase() : undefined,
  );
}

const BASE64_TEXT = /^[A-Za-z0-9+/_-]*={0,2}$/;

function parseBase64(value: unknown): Uint8Array | undefined {
  return typeof value === 'string' && BASE64_TEXT.test(value)
    ? new Uint8Array(Buffer.from(value, 'base64'))
    : undefined;
}

export interface JsonKeyValue {
  key: string;
  value: AttributeValue;
}

/** Marks the issue a too-deep AnyValue raises, so its path can be cut at the outermost AnyValue. */
export const NESTING_ISSUE = 'otlpAnyValueNesting';

/** Where nesting stops: any array or kvlist at this depth is refused, whatever it holds, without reading it. */
const tooDeep = z
  .unknown()
  .transform((value, context) => {
    if (value === undefined || value === null) return undefined;
    context.addIssue({ code: 'custom', message: ANY_VALUE_TOO_DEEP, input: value, params: { [NESTING_ISSUE]: true } });
    return z.NEVER;
  })
  .prefault(null);

/**
 * The AnyValue and KeyValue schemas for each depth, built once: depth is part of the schema rather than counted
 * while validating, so zod stops at the limit instead of descending as deep as the body goes.
 */
const anyValueSchemas: Array<z.ZodType<AttributeValue>> = [];
const keyValueSchemas: Array<z.ZodType<JsonKeyValue>> = [];

function anyValueSchemaAt(depth: number): z.ZodType<AttributeValue> {
  return (anyValueSchemas[depth] ??= buildAnyValueSchema(depth));
}

function keyValueSchemaAt(depth: number): z.ZodType<JsonKeyValue> {
  return (keyValueSchemas[depth] ??= message({ key: stringField, value: anyValueSchemaAt(depth) }).transform(
    (keyValue): JsonKeyValue => ({ key: keyValue?.key ?? '', value: keyValue?.value ?? null }),
  ));
}

/** An AnyValue; the first set member of the oneof wins, and an AnyValue with none set is null. */
function buildAnyValueSchema(depth: number): z.ZodType<AttributeValue> {
  const nested = depth < MAX_ANY_VALUE_DEPTH;
  return message({
    // Members are undefined when absent or null, so the oneof can tell which one is set.
    stringValue: scalar('a string', undefined, parseString),
    boolValue: scalar('a boolean', undefined, (value) => (typeof value === 'boolean' ? value : undefined)),
    intValue: scalar(INT64_EXPECTED, undefined, parseInt64),
    doubleValue: scalar('a number', undefined, parseDouble),
    // Lazy, so each depth's schema is only built when a body reaches it.
    arrayValue: nested ? z.lazy(() => message({ values: repeated(anyValueSchemaAt(depth + 1)) })) : tooDeep,
    kvlistValue: nested ? z.lazy(() => message({ values: repeated(keyValueSchemaAt(depth + 1)) })) : tooDeep,
    bytesValue: scalar('base64 bytes', undefined, parseBase64),
  }).transform((value): AttributeValue => {
    if (value === null || value === undefined) return null;
    if (value.stringValue !== undefined) return value.stringValue;
    if (value.boolValue !== undefined) return value.boolValue;
    if (value.intValue !== undefined) return value.intValue;
    if (value.doubleValue !== undefined) return value.doubleValue;
    if (value.arrayValue !== undefined && value.arrayValue !== null) return value.arrayValue.values;
    if (value.kvlistValue !== undefined && value.kvlistValue !== null)
      return keyValuesToObject(value.kvlistValue.values);
    if (value.bytesValue !== undefined) return value.bytesValue;
    return null;
  });
}

/** An AnyValue at the top (an attribute's value or a log body), as in protobuf where these start at depth 0. */
export const anyValueSchema = anyValueSchemaAt(0);

export const keyValueSchema = keyValueSchemaAt(0);

/** kvlist values become a plain object; `__proto__` is defined, never assigned, so it cannot swap the prototype. */
export function keyValuesToObject(keyValues: readonly JsonKeyValue[]): { [key: string]: AttributeValue } {
  const object: { [key: string]: AttributeValue } = {};
  for (const { key, value } of keyValues) {
    if (key === '__proto__') {
      Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      object[key] = value;
    }
  }
  return object;
}

export const attributesField = repeated(keyValueSchema);

export const resourceSchema = message({
  attributes: attributesField,
  droppedAttributesCount: uint32Field,
});

export const scopeSchema = message({
  name: stringField,
  version: stringField,
  attributes: attributesField,
});
