/**
 * Protobuf decoding of the messages traces and logs share (`opentelemetry.proto.common.v1` AnyValue, KeyValue,
 * InstrumentationScope and `resource.v1` Resource). Field numbers follow opentelemetry-proto's common.proto and
 * resource.proto. Each function decodes the message the reader was narrowed to with `enterMessage`.
 */

import type { AttributeValue, Attributes, OtlpResource, OtlpScope } from '../../src/model/otlp.ts';
import { rethrowWithin } from './decode-error.ts';
import type { ItemSizeCheck } from './item-validation.ts';
import { ANY_VALUE_TOO_DEEP, MAX_ANY_VALUE_DEPTH } from './limits.ts';
import { WIRE_FIXED64, WIRE_LENGTH_DELIMITED, WIRE_VARINT, tagOf, type ProtobufReader } from './protobuf-reader.ts';

// AnyValue (oneof value).
const ANY_STRING = tagOf(1, WIRE_LENGTH_DELIMITED);
const ANY_BOOL = tagOf(2, WIRE_VARINT);
const ANY_INT = tagOf(3, WIRE_VARINT);
const ANY_DOUBLE = tagOf(4, WIRE_FIXED64);
const ANY_ARRAY = tagOf(5, WIRE_LENGTH_DELIMITED);
const ANY_KVLIST = tagOf(6, WIRE_LENGTH_DELIMITED);
const ANY_BYTES = tagOf(7, WIRE_LENGTH_DELIMITED);
// ArrayValue.values and KeyValueList.values are both field 1.
const LIST_VALUES = tagOf(1, WIRE_LENGTH_DELIMITED);
// KeyValue.
const KEY_VALUE_KEY = tagOf(1, WIRE_LENGTH_DELIMITED);
const KEY_VALUE_VALUE = tagOf(2, WIRE_LENGTH_DELIMITED);
// Resource.
const RESOURCE_ATTRIBUTES = tagOf(1, WIRE_LENGTH_DELIMITED);
const RESOURCE_DROPPED_ATTRIBUTES_COUNT = tagOf(2, WIRE_VARINT);
// InstrumentationScope.
const SCOPE_NAME = tagOf(1, WIRE_LENGTH_DELIMITED);
const SCOPE_VERSION = tagOf(2, WIRE_LENGTH_DELIMITED);
const SCOPE_ATTRIBUTES = tagOf(3, WIRE_LENGTH_DELIMITED);

/**
 * Sets an attribute without letting a key named `__proto__` replace the object's prototype (a plain assignment
 * would), since keys come straight from the network.
 */
export function setAttribute(target: Attributes, key: string, value: AttributeValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Decodes an AnyValue message; an AnyValue with no (known) value set is `null`. */
export function decodeAnyValue(r: ProtobufReader, depth: number): AttributeValue {
  let value: AttributeValue = null;
  while (r.hasMore()) {
    const tag = r.readTag();
    switch (tag) {
      case ANY_STRING:
        value = r.readString();
        break;
      case ANY_BOOL:
        value = r.readBool();
        break;
      case ANY_INT:
        value = r.readInt64();
        break;
      case ANY_DOUBLE:
        value = r.readDouble();
        break;
      case ANY_ARRAY: {
        if (depth >= MAX_ANY_VALUE_DEPTH) throw r.error(ANY_VALUE_TOO_DEEP);
        const outer = r.enterMessage();
        value = decodeArrayValue(r, depth + 1);
        r.exitMessage(outer);
        break;
      }
      case ANY_KVLIST: {
        if (depth >= MAX_ANY_VALUE_DEPTH) throw r.error(ANY_VALUE_TOO_DEEP);
        const outer = r.enterMessage();
        value = decodeKeyValueList(r, depth + 1);
        r.exitMessage(outer);
        break;
      }
      case ANY_BYTES:
        value = r.readBytes();
        break;
      default:
        // Includes string_value_strindex (8), which only profiles' dictionaries use.
        r.skipField(tag);
    }
  }
  return value;
}

function decodeArrayValue(r: ProtobufReader, depth: number): AttributeValue[] {
  const values: AttributeValue[] = [];
  while (r.hasMore()) {
    const tag = r.readTag();
    if (tag === LIST_VALUES) {
      const outer = r.enterMessage();
      values.push(decodeAnyValue(r, depth));
      r.exitMessage(outer);
    } else {
      r.skipField(tag);
    }
  }
  return values;
}

function decodeKeyValueList(r: ProtobufReader, depth: number): Attributes {
  const values: Attributes = {};
  while (r.hasMore()) {
    const tag = r.readTag();
    if (tag === LIST_VALUES) {
      const outer = r.enterMessage();
      decodeKeyValue(r, values, depth, undefined, '');
      r.exitMessage(outer);
    } else {
      r.skipField(tag);
    }
  }
  return values;
}

/**
 * Payload size of the AnyValue that follows (the limit's measure, see value-size.ts), read from its first
 * field's header without decoding it. Only called for values whose encoded size is already over the limit.
 */
export function peekAnyValuePayloadSize(r: ProtobufReader): number {
  const savedPos = r.pos;
  const outer = r.enterMessage();
  let size = r.end - r.pos;
  if (r.hasMore()) {
    const tag = r.readTag();
    if ((tag & 7) === WIRE_LENGTH_DELIMITED) size = r.peekLength();
  }
  r.end = outer;
  r.pos = savedPos;
  return size;
}

/**
 * Decodes one KeyValue message into `target`. With a size `check`, a value over the per-attribute limit is
 * recorded there and skipped instead of decoded: the item it belongs to is rejected anyway.
 */
export function decodeKeyValue(
  r: ProtobufReader,
  target: Attributes,
  depth: number,
  check: ItemSizeCheck | undefined,
  what: string,
): void {
  let key = '';
  let value: AttributeValue = null;
  let oversizedBytes = -1;
  while (r.hasMore()) {
    const tag = r.readTag();
    if (tag === KEY_VALUE_KEY) {
      key = r.readString();
    } else if (tag === KEY_VALUE_VALUE) {
      if (check !== undefined && r.peekLength() > check.limit) {
        const payloadSize = peekAnyValuePayloadSize(r);
        if (payloadSize > check.limit) {
          oversizedBytes = payloadSize;
          r.skipField(tag);
          continue;
        }
      }
      const outer = r.enterMessage();
      value = decodeAnyValue(r, depth);
      r.exitMessage(outer);
    } else {
      r.skipField(tag);
    }
  }
  // The key may follow the value on the wire, so the oversized value is reported only once both are known.
  if (oversizedBytes >= 0 && check !== undefined) check.exceeds(oversizedBytes, what, key);
  setAttribute(target, key, value);
}

/**
 * Decodes a repeated KeyValue field occurrence (the tag was just read) into `target`; `index` is its position
 * among the message's attributes, for error paths.
 */
export function decodeAttribute(
  r: ProtobufReader,
  target: Attributes,
  index: number,
  check: ItemSizeCheck | undefined,
  what: string,
): void {
  const outer = r.enterMessage();
  try {
    decodeKeyValue(r, target, 0, check, what);
  } catch (error) {
    rethrowWithin(error, `Attribute[${index}]`);
  }
  r.exitMessage(outer);
}

/**
 * Decodes a Resource message into `resource`. Filling a pre-made object rather than returning one lets the
 * spans decoded before it (field order on the wire is not guaranteed) share the same, completed resource.
 */
export function decodeResourceInto(r: ProtobufReader, resource: OtlpResource): void {
  let attributeIndex = 0;
  while (r.hasMore()) {
    const tag = r.readTag();
    if (tag === RESOURCE_ATTRIBUTES) {
      decodeAttribute(r, resource.attributes, attributeIndex++, undefined, 'resource attribute');
    } else if (tag === RESOURCE_DROPPED_ATTRIBUTES_COUNT) {
      resource.droppedAttributesCount = r.readVarint32();
    } else {
      // entity_refs (3) and anything newer.
      r.skipField(tag);
    }
  }
}

/** Decodes an InstrumentationScope message into `scope` (see decodeResourceInto for why it fills in place). */
export function decodeScopeInto(r: ProtobufReader, scope: OtlpScope): void {
  let attributeIndex = 0;
  while (r.hasMore()) {
    const tag = r.readTag();
    if (tag === SCOPE_NAME) scope.name = r.readString();
    else if (tag === SCOPE_VERSION) scope.version = r.readString();
    else if (tag === SCOPE_ATTRIBUTES)
      decodeAttribute(r, scope.attributes, attributeIndex++, undefined, 'scope attribute');
    else r.skipField(tag);
  }
}

export function emptyResource(): OtlpResource {
  return { attributes: {}, droppedAttributesCount: 0 };
}

export function emptyScope(): OtlpScope {
  return { name: '', version: '', attributes: {} };
}
