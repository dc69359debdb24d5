/**
 * The smallest protobuf writer the receiver's responses need: OTLP export responses, google.rpc.Status and
 * RetryInfo are a handful of fields, written once per request, so clarity wins over speed here. Embedded
 * messages are written by encoding them first and embedding the finished bytes.
 */

const textEncoder = new TextEncoder();

export class ProtobufWriter {
  private readonly bytes: number[] = [];

  private varint(value: bigint): void {
    // Negative int64/int32 values are sent as their 64-bit two's complement, always 10 bytes.
    let remaining = BigInt.asUintN(64, value);
    while (remaining >= 0x80n) {
      this.bytes.push(Number(remaining & 0x7fn) | 0x80);
      remaining >>= 7n;
    }
    this.bytes.push(Number(remaining));
  }

  private tag(field: number, wireType: number): void {
    this.varint(BigInt((field << 3) | wireType));
  }

  /** int32/int64/uint32/enum field; proto3 omits zero values. */
  int(field: number, value: number | bigint): this {
    if (value === 0 || value === 0n) return this;
    this.tag(field, 0);
    this.varint(BigInt(value));
    return this;
  }

  string(field: number, value: string): this {
    if (value === '') return this;
    return this.bytesField(field, textEncoder.encode(value));
  }

  bytesField(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.varint(BigInt(value.length));
    for (const byte of value) this.bytes.push(byte);
    return this;
  }

  /** An embedded message field; written even when empty, since presence is meaningful for message fields. */
  message(field: number, encoded: Uint8Array): this {
    return this.bytesField(field, encoded);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}
