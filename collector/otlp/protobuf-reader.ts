/**
 * A minimal protobuf wire-format reader for the OTLP request decoders. No npm package decodes OTLP *requests*
 * without a generated code layer, and generated readers allocate an object per message; this one is a cursor
 * over the body that the decoders drive field by field, producing the final model objects directly.
 *
 * Every read is bounds-checked against the current message end (`end`), so a truncated or garbage body throws
 * an `OtlpDecodeError` instead of reading into a sibling message or past the buffer. Strings are decoded with
 * Buffer's native UTF-8 slice and ids become lower-case hex through a precomputed byte table.
 */

import { OtlpDecodeError } from './decode-error.ts';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

/** The tag value of `field` with `wireType`, for `switch (tag)` in the decoders. */
export function tagOf(field: number, wireType: number): number {
  return ((field << 3) | wireType) >>> 0;
}

const HEX_BY_BYTE: readonly string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

const WIRE_TYPE_NAMES = ['varint', 'fixed64', 'length-delimited', 'group', 'end-group', 'fixed32', '6', '7'];

/** Groups are deprecated and never used by OTLP; the bound only stops hostile input from recursing forever. */
const MAX_GROUP_DEPTH = 32;

export class ProtobufReader {
  private readonly buffer: Buffer;
  /** Read position. */
  pos = 0;
  /** End of the message being read; nested messages narrow it with `enterMessage`. */
  end: number;
  /** Field number of the last tag read, for error messages. */
  private field = 0;
  private wireType = 0;

  constructor(body: Uint8Array) {
    // A view, not a copy: Buffer gives us native UTF-8 slicing and 64-bit little-endian reads.
    this.buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    this.end = body.byteLength;
  }

  /** True while the current message has unread bytes. */
  hasMore(): boolean {
    return this.pos < this.end;
  }

  /** Reads the next tag; field number 0 and wire types 6/7 are never valid and mean the body is garbage. */
  readTag(): number {
    // Reset first so a truncated tag is reported as such, not as the previous field.
    this.field = 0;
    const tag = this.readVarint32();
    this.field = tag >>> 3;
    this.wireType = tag & 7;
    if (this.field === 0) throw this.error(`invalid field number 0 at byte ${this.pos}`);
    if (this.wireType > WIRE_FIXED32) throw this.error(`invalid wire type ${this.wireType} for field ${this.field}`);
    return tag;
  }

  /** A varint truncated to its low 32 bits as an unsigned number (uint32, enums, bools, tags), as protobuf does. */
  readVarint32(): number {
    const buffer = this.buffer;
    const end = this.end;
    let pos = this.pos;
    if (pos >= end) throw this.truncated();
    let byte = buffer[pos++]!;
    if (byte < 0x80) {
      this.pos = pos;
      return byte;
    }
    let value = byte & 0x7f;
    for (let shift = 7; shift < 70; shift += 7) {
      if (pos >= end) throw this.truncated();
      byte = buffer[pos++]!;
      // Bits past 32 are dropped; multiplication keeps the intermediate exact instead of overflowing `<<`.
      if (shift < 32) value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    throw this.error(`malformed varint in field ${this.field} (more than 10 bytes)`);
  }

  /** A signed int32 (enums may be negative and are then sent sign-extended to 10 bytes). */
  readInt32(): number {
    return this.readVarint32() | 0;
  }

  readBool(): boolean {
    return this.readVarint32() !== 0;
  }

  /**
   * An int64 varint: a plain number when it is a safe integer, else a bigint. Values that end within 7 bytes
   * (< 2^49) are non-negative and exact as doubles, which covers nearly every attribute value without BigInt.
   */
  readInt64(): number | bigint {
    const buffer = this.buffer;
    const end = this.end;
    const start = this.pos;
    let pos = start;
    let value = 0;
    let multiplier = 1;
    for (let count = 0; count < 7; count++) {
      if (pos >= end) throw this.truncated();
      const byte = buffer[pos++]!;
      value += (byte & 0x7f) * multiplier;
      if (byte < 0x80) {
        this.pos = pos;
        return value;
      }
      multiplier *= 128;
    }
    // Slow path: long positive values and every negative value (two's complement, always 10 bytes).
    let big = 0n;
    pos = start;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= end) throw this.truncated();
      const byte = buffer[pos++]!;
      big |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.pos = pos;
        const signed = BigInt.asIntN(64, big);
        return signed >= BigInt(Number.MIN_SAFE_INTEGER) && signed <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(signed)
          : signed;
      }
    }
    throw this.error(`malformed varint in field ${this.field} (more than 10 bytes)`);
  }

  /** fixed64 as an unsigned bigint (timestamps in nanoseconds). */
  readFixed64(): bigint {
    const pos = this.pos;
    if (pos + 8 > this.end) throw this.truncated();
    this.pos = pos + 8;
    return this.buffer.readBigUInt64LE(pos);
  }

  readFixed32(): number {
    const pos = this.pos;
    if (pos + 4 > this.end) throw this.truncated();
    this.pos = pos + 4;
    return this.buffer.readUInt32LE(pos);
  }

  readDouble(): number {
    const pos = this.pos;
    if (pos + 8 > this.end) throw this.truncated();
    this.pos = pos + 8;
    return this.buffer.readDoubleLE(pos);
  }

  /**
   * Reads the length prefix of a length-delimited field and returns it, checking that many bytes remain in the
   * current message. The caller consumes exactly that many bytes.
   */
  readLength(): number {
    const buffer = this.buffer;
    let pos = this.pos;
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= this.end) throw this.truncated();
      const byte = buffer[pos++]!;
      length += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
      if (shift >= 28) throw this.error(`invalid length in field ${this.field}`);
    }
    if (length > this.end - pos) throw this.truncated();
    this.pos = pos;
    return length;
  }

  readString(): string {
    const length = this.readLength();
    const start = this.pos;
    this.pos = start + length;
    return length === 0 ? '' : this.buffer.toString('utf8', start, start + length);
  }

  /** A bytes field as lower-case hex (trace and span ids); any length, the callers validate it. */
  readHex(): string {
    const length = this.readLength();
    const buffer = this.buffer;
    let pos = this.pos;
    const end = pos + length;
    this.pos = end;
    let hex = '';
    while (pos < end) hex += HEX_BY_BYTE[buffer[pos++]!]!;
    return hex;
  }

  /** A bytes field as a copy, so a kept value does not pin the whole request body in memory. */
  readBytes(): Uint8Array {
    const length = this.readLength();
    const start = this.pos;
    this.pos = start + length;
    return new Uint8Array(this.buffer.subarray(start, start + length));
  }

  /**
   * Narrows the reader to the embedded message that follows (its length prefix is read here) and returns the
   * outer end, which the caller hands back to `exitMessage` once the embedded message is consumed.
   */
  enterMessage(): number {
    const length = this.readLength();
    const outerEnd = this.end;
    this.end = this.pos + length;
    return outerEnd;
  }

  exitMessage(outerEnd: number): void {
    this.pos = this.end;
    this.end = outerEnd;
  }

  /** Length of the next length-delimited field without consuming it (used to size-check before decoding). */
  peekLength(): number {
    const saved = this.pos;
    const length = this.readLength();
    this.pos = saved;
    return length;
  }

  /** Skips the value of the field whose tag was just read; unknown fields of every wire type are legal. */
  skipField(tag: number): void {
    this.skipValue(tag & 7, tag >>> 3, 0);
  }

  private skipValue(wireType: number, field: number, depth: number): void {
    switch (wireType) {
      case WIRE_VARINT: {
        const buffer = this.buffer;
        for (let count = 0; count < 10; count++) {
          if (this.pos >= this.end) throw this.truncated();
          if (buffer[this.pos++]! < 0x80) return;
        }
        throw this.error(`malformed varint in field ${field} (more than 10 bytes)`);
      }
      case WIRE_FIXED64:
        this.skipBytes(8);
        return;
      case WIRE_LENGTH_DELIMITED: {
        // Read the length first: `this.pos += this.readLength()` would add it to the position before the prefix.
        const length = this.readLength();
        this.pos += length;
        return;
      }
      case WIRE_FIXED32:
        this.skipBytes(4);
        return;
      case WIRE_START_GROUP: {
        if (depth >= MAX_GROUP_DEPTH) throw this.error(`groups nested deeper than ${MAX_GROUP_DEPTH} levels`);
        for (;;) {
          const tag = this.readTag();
          if ((tag & 7) === WIRE_END_GROUP) {
            if (tag >>> 3 !== field)
              throw this.error(`end of group ${tag >>> 3} does not match start of group ${field}`);
            return;
          }
          this.skipValue(tag & 7, tag >>> 3, depth + 1);
        }
      }
      case WIRE_END_GROUP:
        throw this.error(`unexpected end of group ${field}`);
      default:
        throw this.error(`invalid wire type ${wireType} for field ${field}`);
    }
  }

  private skipBytes(count: number): void {
    if (this.pos + count > this.end) throw this.truncated();
    this.pos += count;
  }

  /** An error about the current field, for callers that detect semantic problems (e.g. nesting too deep). */
  error(reason: string): OtlpDecodeError {
    return new OtlpDecodeError(reason);
  }

  private truncated(): OtlpDecodeError {
    if (this.field === 0) return new OtlpDecodeError(`truncated field tag at byte ${this.pos}`);
    return new OtlpDecodeError(`truncated ${WIRE_TYPE_NAMES[this.wireType] ?? 'unknown'} field ${this.field}`);
  }
}
