/**
 * A reader of Thrift's compact protocol that keeps where every value sits in the buffer, because the one use it
 * has here is patching bytes of a Parquet footer in place (parquet-json-columns.ts): a generic decode that
 * remembers offsets is smaller and easier to trust than a Parquet metadata model. It reads structs, lists,
 * sets and maps of any nesting (the footer's schema and row groups), and fails with the offset on bytes that
 * are not compact protocol, so a footer it does not understand is never patched.
 */

/** Compact protocol type ids as they appear in field headers and collection headers. */
const types = {
  booleanTrue: 1,
  booleanFalse: 2,
  byte: 3,
  i16: 4,
  i32: 5,
  i64: 6,
  double: 7,
  binary: 8,
  list: 9,
  set: 10,
  map: 11,
  struct: 12,
} as const;

export type ThriftValue =
  | { kind: 'boolean'; value: boolean }
  | { kind: 'integer'; value: bigint; start: number; end: number }
  | { kind: 'double'; start: number }
  | { kind: 'binary'; start: number; end: number }
  | { kind: 'list'; elements: ThriftValue[] }
  | { kind: 'map'; entries: Array<[ThriftValue, ThriftValue]> }
  | { kind: 'struct'; fields: ThriftField[] };

export interface ThriftField {
  id: number;
  /** Offset of the field header byte (its id delta and type). */
  headerOffset: number;
  value: ThriftValue;
}

export class ThriftDecodeError extends Error {
  constructor(message: string, offset: number) {
    super(`${message} at byte ${offset} of the Thrift data`);
  }
}

class Reader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  byte(): number {
    const value = this.bytes[this.offset];
    if (value === undefined) throw new ThriftDecodeError('unexpected end', this.offset);
    this.offset++;
    return value;
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const value = this.byte();
      result |= BigInt(value & 0x7f) << shift;
      if ((value & 0x80) === 0) return result;
    }
    throw new ThriftDecodeError('varint longer than 10 bytes', this.offset);
  }

  zigzag(): bigint {
    const value = this.varint();
    return (value >> 1n) ^ -(value & 1n);
  }

  skip(count: number): void {
    if (this.offset + count > this.bytes.length) throw new ThriftDecodeError('unexpected end', this.offset);
    this.offset += count;
  }
}

function readValue(reader: Reader, type: number, depth: number): ThriftValue {
  if (depth > 64) throw new ThriftDecodeError('nesting deeper than 64', reader.offset);
  const start = reader.offset;
  switch (type) {
    case types.booleanTrue:
    case types.booleanFalse:
      // Only collection elements get here; a boolean field carries its value in the header type.
      return { kind: 'boolean', value: reader.byte() === types.booleanTrue };
    case types.byte: {
      const value = reader.byte();
      return { kind: 'integer', value: BigInt(value > 127 ? value - 256 : value), start, end: reader.offset };
    }
    case types.i16:
    case types.i32:
    case types.i64: {
      const value = reader.zigzag();
      return { kind: 'integer', value, start, end: reader.offset };
    }
    case types.double:
      reader.skip(8);
      return { kind: 'double', start };
    case types.binary: {
      const length = Number(reader.varint());
      const from = reader.offset;
      reader.skip(length);
      return { kind: 'binary', start: from, end: reader.offset };
    }
    case types.list:
    case types.set: {
      const header = reader.byte();
      const size = header >> 4 === 15 ? Number(reader.varint()) : header >> 4;
      const elementType = header & 0x0f;
      const elements: ThriftValue[] = [];
      for (let index = 0; index < size; index++) elements.push(readValue(reader, elementType, depth + 1));
      return { kind: 'list', elements };
    }
    case types.map: {
      const size = Number(reader.varint());
      const entries: Array<[ThriftValue, ThriftValue]> = [];
      if (size > 0) {
        const kinds = reader.byte();
        for (let index = 0; index < size; index++) {
          const key = readValue(reader, kinds >> 4, depth + 1);
          entries.push([key, readValue(reader, kinds & 0x0f, depth + 1)]);
        }
      }
      return { kind: 'map', entries };
    }
    case types.struct:
      return readStructBody(reader, depth + 1);
    default:
      throw new ThriftDecodeError(`unknown compact protocol type ${type}`, start);
  }
}

function readStructBody(reader: Reader, depth: number): ThriftValue {
  const fields: ThriftField[] = [];
  let lastId = 0;
  for (;;) {
    const headerOffset = reader.offset;
    const header = reader.byte();
    if (header === 0) return { kind: 'struct', fields };
    const type = header & 0x0f;
    const delta = header >> 4;
    const id = delta === 0 ? Number(reader.zigzag()) : lastId + delta;
    lastId = id;
    const value: ThriftValue =
      type === types.booleanTrue || type === types.booleanFalse
        ? { kind: 'boolean', value: type === types.booleanTrue }
        : readValue(reader, type, depth);
    fields.push({ id, headerOffset, value });
  }
}

/** Decodes one struct starting at the beginning of `bytes`; `end` is where it stopped. */
export function readThriftStruct(bytes: Uint8Array): { struct: ThriftValue & { kind: 'struct' }; end: number } {
  const reader = new Reader(bytes);
  const struct = readStructBody(reader, 0) as ThriftValue & { kind: 'struct' };
  return { struct, end: reader.offset };
}

export function field(struct: ThriftValue | undefined, id: number): ThriftField | undefined {
  return struct?.kind === 'struct' ? struct.fields.find((candidate) => candidate.id === id) : undefined;
}

/** The compact protocol's short field header: id delta in the high nibble, type in the low one. */
export function shortFieldHeader(delta: number, type: number): number {
  if (delta < 1 || delta > 15) throw new RangeError(`a short field header takes a delta of 1 to 15, not ${delta}`);
  return (delta << 4) | type;
}

export const thriftStructType = types.struct;
