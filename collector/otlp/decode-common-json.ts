/**
 * The steps every OTLP/JSON decoder takes: parse the body, validate it against a zod schema (turning the first
 * issue into an `OtlpDecodeError` that names its JSON path), and convert the validated attribute lists,
 * resources and scopes into the model, measuring attribute sizes the same way the protobuf decoder does.
 */

import type { z } from 'zod';
import type { Attributes, OtlpResource, OtlpScope } from '../../src/model/otlp.ts';
import { OtlpDecodeError } from './decode-error.ts';
import type { ItemSizeCheck } from './item-validation.ts';
import { quoteLargeIntegers } from './json-large-integers.ts';
import {
  NESTING_ISSUE,
  keyValuesToObject,
  type JsonKeyValue,
  type resourceSchema,
  type scopeSchema,
} from './otlp-json-schema.ts';
import { attributeValuePayloadSize } from './value-size.ts';

const utf8 = new TextDecoder('utf-8', { fatal: false });

export function parseJsonBody(body: Uint8Array | string): unknown {
  const text = typeof body === 'string' ? body : utf8.decode(body);
  try {
    return JSON.parse(quoteLargeIntegers(text));
  } catch (error) {
    throw new OtlpDecodeError(`invalid JSON: ${(error as Error).message}`);
  }
}

/** `resourceSpans[0].scopeSpans[1].spans[2].traceId` from zod's path segments. */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

export function validateJson<Schema extends z.ZodType>(schema: Schema, json: unknown): z.output<Schema> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new OtlpDecodeError('expected a JSON object at the top level');
  }
  let result: ReturnType<Schema['safeParse']>;
  try {
    result = schema.safeParse(json) as ReturnType<Schema['safeParse']>;
  } catch (error) {
    // AnyValues stop at MAX_ANY_VALUE_DEPTH; this catches a stack exhausted by nesting anywhere else.
    if (error instanceof RangeError) throw new OtlpDecodeError('values nested too deeply');
    throw error;
  }
  if (result.success) return result.data as z.output<Schema>;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new OtlpDecodeError('invalid request');
  const nesting = issue.code === 'custom' && issue.params?.[NESTING_ISSUE] === true;
  throw new OtlpDecodeError(issue.message, formatJsonPath(nesting ? outermostAnyValue(issue.path) : issue.path));
}

/**
 * The path of a too-deep AnyValue cut where the nesting begins (`...attributes[0].value`), as protobuf names
 * it: the full path repeats `arrayValue.values[0]` 64 times and says nothing more.
 */
function outermostAnyValue(path: readonly PropertyKey[]): readonly PropertyKey[] {
  const start = path.findIndex((segment) => segment === 'arrayValue' || segment === 'kvlistValue');
  return start < 0 ? path : path.slice(0, start);
}

/**
 * Builds the attributes of one item. With a size `check`, values over the per-attribute limit are recorded
 * there (the item will be rejected) and left out.
 */
export function toAttributes(
  keyValues: readonly JsonKeyValue[],
  check: ItemSizeCheck | undefined,
  what: string,
): Attributes {
  if (check === undefined) return keyValuesToObject(keyValues);
  let kept: JsonKeyValue[] | undefined;
  for (let index = 0; index < keyValues.length; index++) {
    const keyValue = keyValues[index]!;
    if (isOversized(keyValue.value, check, what, keyValue.key)) {
      kept ??= keyValues.slice(0, index);
    } else {
      kept?.push(keyValue);
    }
  }
  return keyValuesToObject(kept ?? keyValues);
}

/** True (and recorded in `check`) when `value` is over the limit; cheap for the common short strings. */
export function isOversized(
  value: JsonKeyValue['value'],
  check: ItemSizeCheck,
  what: string,
  key: string | undefined,
): boolean {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'bigint') {
    return false;
  }
  // A UTF-8 string takes at most 3 bytes per UTF-16 code unit, so short strings need no byte count.
  if (typeof value === 'string' && value.length * 3 <= check.limit) return false;
  return check.exceeds(attributeValuePayloadSize(value), what, key);
}

export function toResource(resource: z.output<typeof resourceSchema>): OtlpResource {
  return {
    attributes: toAttributes(resource?.attributes ?? [], undefined, 'resource attribute'),
    droppedAttributesCount: resource?.droppedAttributesCount ?? 0,
  };
}

export function toScope(scope: z.output<typeof scopeSchema>): OtlpScope {
  return {
    name: scope?.name ?? '',
    version: scope?.version ?? '',
    attributes: toAttributes(scope?.attributes ?? [], undefined, 'scope attribute'),
  };
}
