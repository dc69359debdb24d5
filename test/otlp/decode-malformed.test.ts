import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OtlpDecodeError,
  decodeLogsProtobuf,
  decodeTracesJson,
  decodeTracesProtobuf,
  type DecodeLimits,
} from '../../collector/otlp/index.ts';
import { ProtobufWriter } from '../../collector/otlp/protobuf-writer.ts';
import { startCaptureServer, type CaptureServer } from './capture-server.ts';
import { exportSpans } from './exporters.ts';
import { recordAgentSpans } from './span-fixtures.ts';

const limits: DecodeLimits = { maxAttributeBytes: 1024 * 1024 };

let server: CaptureServer;
let protobufBody: Buffer;
let jsonBody: Buffer;

beforeAll(async () => {
  server = await startCaptureServer();
  const spans = recordAgentSpans();
  protobufBody = await exportSpans(server, 'protobuf', spans);
  jsonBody = await exportSpans(server, 'json', spans);
});

afterAll(async () => {
  await server.close();
});

function decodeError(decode: () => unknown): OtlpDecodeError {
  try {
    decode();
  } catch (error) {
    if (error instanceof OtlpDecodeError) return error;
    throw new Error(`expected an OtlpDecodeError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected an OtlpDecodeError, decoding succeeded');
}

/** Concatenates raw protobuf pieces; error-path tests need bytes no exporter would produce. */
function bytes(...parts: Array<number | Uint8Array>): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => (typeof part === 'number' ? [part] : [...part])));
}

const VALID_TRACE_ID = new Uint8Array(16).fill(0xab);
const VALID_SPAN_ID = new Uint8Array(8).fill(0xcd);

function spanMessage(name: string): Uint8Array {
  return new ProtobufWriter().bytesField(1, VALID_TRACE_ID).bytesField(2, VALID_SPAN_ID).string(5, name).finish();
}

function requestWithSpans(...spans: Uint8Array[]): Uint8Array {
  const scopeSpans = new ProtobufWriter();
  for (const span of spans) scopeSpans.message(2, span);
  const resourceSpans = new ProtobufWriter().message(2, scopeSpans.finish()).finish();
  return new ProtobufWriter().message(1, resourceSpans).finish();
}

describe('malformed protobuf bodies', () => {
  it('throws OtlpDecodeError for every truncation of a real exporter body except at the ResourceSpans boundary', () => {
    const complete: number[] = [];
    for (let length = 1; length < protobufBody.length; length++) {
      try {
        decodeTracesProtobuf(protobufBody.subarray(0, length), limits);
        complete.push(length);
      } catch (error) {
        expect(error).toBeInstanceOf(OtlpDecodeError);
        expect((error as Error).message).toMatch(/truncated|invalid|malformed/);
      }
    }
    // The body holds two ResourceSpans; cut right after the first, it is a valid, smaller request.
    expect(complete).toHaveLength(1);
    const firstOnly = decodeTracesProtobuf(protobufBody.subarray(0, complete[0]), limits);
    expect(new Set(firstOnly.spans.map((span) => span.resource.attributes['service.name']))).toEqual(
      new Set(['agent-a']),
    );
  });

  it('never fails with anything but OtlpDecodeError on corrupted bytes', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    let failures = 0;
    for (let round = 0; round < 2000; round++) {
      const corrupted = Buffer.from(protobufBody);
      for (let flips = 1 + (random() % 4); flips > 0; flips--) corrupted[random() % corrupted.length] = random() % 256;
      try {
        decodeTracesProtobuf(corrupted, limits);
      } catch (error) {
        expect(error).toBeInstanceOf(OtlpDecodeError);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(0);
  });

  it('names the position of a problem nested inside a span', () => {
    // Span[1] claims a 16-byte trace id but ends after 3 bytes of it.
    const broken = bytes(0x0a, 16, 1, 2, 3);
    const error = decodeError(() => decodeTracesProtobuf(requestWithSpans(spanMessage('ok'), broken), limits));
    expect(error.message).toBe('ResourceSpans[0].ScopeSpans[0].Span[1]: truncated length-delimited field 1');
    expect(error.path).toBe('ResourceSpans[0].ScopeSpans[0].Span[1]');
  });

  it('rejects invalid wire types and field number zero', () => {
    expect(decodeError(() => decodeTracesProtobuf(bytes(0x0f), limits)).message).toBe(
      'invalid wire type 7 for field 1',
    );
    expect(decodeError(() => decodeTracesProtobuf(bytes(0x00, 0x01), limits)).message).toMatch(
      /invalid field number 0/,
    );
  });

  it('skips unknown fields of every wire type, inside spans and at the top level', () => {
    const unknownFields = bytes(
      // field 100 varint (10-byte negative), field 101 fixed64, field 102 fixed32, field 103 length-delimited
      0xa0,
      0x06,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0x01,
      0xa9,
      0x06,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      0xb5,
      0x06,
      1,
      2,
      3,
      4,
      0xba,
      0x06,
      3,
      0x61,
      0x62,
      0x63,
      // field 104 group containing a varint field 1, then the matching end group
      0xc3,
      0x06,
      0x08,
      0x01,
      0xc4,
      0x06,
    );
    const span = bytes(unknownFields, spanMessage('with unknown fields'), unknownFields);
    const decoded = decodeTracesProtobuf(bytes(requestWithSpans(span), unknownFields), limits);
    expect(decoded.rejected).toBe(0);
    expect(decoded.spans.map((decodedSpan) => decodedSpan.name)).toEqual(['with unknown fields']);
  });

  it('decodes an empty body as an empty request', () => {
    expect(decodeTracesProtobuf(new Uint8Array(0), limits)).toEqual({ spans: [], rejected: 0, rejectionMessages: [] });
    expect(decodeLogsProtobuf(new Uint8Array(0), limits)).toEqual({ logs: [], rejected: 0, rejectionMessages: [] });
  });

  it('refuses AnyValues nested deeper than the stack can safely take', () => {
    let value = new ProtobufWriter().string(1, 'leaf').finish();
    for (let depth = 0; depth < 200; depth++) {
      const array = new ProtobufWriter().message(1, value).finish();
      value = new ProtobufWriter().message(5, array).finish();
    }
    const keyValue = new ProtobufWriter().string(1, 'deep').message(2, value).finish();
    const span = bytes(spanMessage('deep'), new ProtobufWriter().message(9, keyValue).finish());
    const error = decodeError(() => decodeTracesProtobuf(requestWithSpans(span), limits));
    expect(error.message).toMatch(/Span\[0\]\.Attribute\[0\]: AnyValue nested deeper than 64 levels$/);
  });
});

describe('malformed JSON bodies', () => {
  it('throws OtlpDecodeError for text that is not JSON', () => {
    expect(decodeError(() => decodeTracesJson('{"resourceSpans": [', limits)).message).toMatch(/^invalid JSON: /);
    expect(decodeError(() => decodeTracesJson(Buffer.from([0xff, 0x00, 0x13]), limits)).message).toMatch(
      /^invalid JSON/,
    );
  });

  it('requires an object at the top level', () => {
    expect(decodeError(() => decodeTracesJson('[]', limits)).message).toBe('expected a JSON object at the top level');
  });

  it('names the path of a structurally wrong field', () => {
    const body = JSON.parse(jsonBody.toString()) as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }>;
    };
    const span = body.resourceSpans[0]!.scopeSpans[0]!.spans[1] as Record<string, unknown>;
    span['startTimeUnixNano'] = 'yesterday';
    expect(decodeError(() => decodeTracesJson(JSON.stringify(body), limits)).message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[1].startTimeUnixNano: expected a uint64 as a decimal string or integer, got "yesterday"',
    );
    expect(decodeError(() => decodeTracesJson('{"resourceSpans":"none"}', limits)).message).toMatch(/^resourceSpans: /);
  });

  it('throws for base64 ids, which standard proto3 JSON would use but OTLP/JSON forbids', () => {
    const body = JSON.parse(jsonBody.toString()) as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }>;
    };
    const span = body.resourceSpans[0]!.scopeSpans[0]!.spans[1] as Record<string, unknown>;
    const base64 = Buffer.from(span['traceId'] as string, 'hex').toString('base64');
    span['traceId'] = base64;
    const error = decodeError(() => decodeTracesJson(JSON.stringify(body), limits));
    expect(error.path).toBe('resourceSpans[0].scopeSpans[0].spans[1].traceId');
    expect(error.message).toBe(
      `resourceSpans[0].scopeSpans[0].spans[1].traceId: expected 32 hex characters (OTLP/JSON ids are hex, not base64), got "${base64}"`,
    );
  });
});
