import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import {
  RETRY_INFO_TYPE_URL,
  encodeExportResponse,
  encodeLogsResponseJson,
  encodeLogsResponseProtobuf,
  encodeRpcStatusJson,
  encodeRpcStatusProtobuf,
  encodeStatus,
  encodeTraceResponseJson,
  encodeTraceResponseProtobuf,
} from '../../collector/otlp/index.ts';

// The message definitions as published in opentelemetry-proto (collector/*/v1/*_service.proto) and googleapis
// (google/rpc/status.proto, google/rpc/error_details.proto); protobufjs decodes our bytes independently.
const { root } = protobuf.parse(`
  syntax = "proto3";
  package test;
  message ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }
  message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
  message ExportLogsPartialSuccess { int64 rejected_log_records = 1; string error_message = 2; }
  message ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1; }
  message Any { string type_url = 1; bytes value = 2; }
  message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
  message Duration { int64 seconds = 1; int32 nanos = 2; }
  message RetryInfo { Duration retry_delay = 1; }
`);

function decode(type: string, bytes: Uint8Array): Record<string, unknown> {
  const messageType = root.lookupType(`test.${type}`);
  return messageType.toObject(messageType.decode(bytes), { longs: String, defaults: false });
}

describe('export responses', () => {
  it('encodes full success as an empty message and {}', () => {
    expect(encodeTraceResponseProtobuf({ rejected: 0, errorMessage: '' })).toEqual(new Uint8Array(0));
    expect(encodeTraceResponseJson({ rejected: 0, errorMessage: '' })).toBe('{}');
    expect(encodeLogsResponseJson({ rejected: 0, errorMessage: '' })).toBe('{}');
  });

  it('encodes a trace partial success that protobufjs decodes', () => {
    const bytes = encodeTraceResponseProtobuf({ rejected: 3, errorMessage: 'span "x" (ab): trace id is all zeros' });
    expect(decode('ExportTraceServiceResponse', bytes)).toEqual({
      partialSuccess: { rejectedSpans: '3', errorMessage: 'span "x" (ab): trace id is all zeros' },
    });
    expect(JSON.parse(encodeTraceResponseJson({ rejected: 3, errorMessage: 'bad' }))).toEqual({
      partialSuccess: { rejectedSpans: '3', errorMessage: 'bad' },
    });
  });

  it('encodes a logs partial success, including rejection counts beyond 32 bits', () => {
    const bytes = encodeLogsResponseProtobuf({ rejected: 2 ** 40, errorMessage: 'über' });
    expect(decode('ExportLogsServiceResponse', bytes)).toEqual({
      partialSuccess: { rejectedLogRecords: String(2 ** 40), errorMessage: 'über' },
    });
    expect(JSON.parse(encodeLogsResponseJson({ rejected: 1, errorMessage: '' }))).toEqual({
      partialSuccess: { rejectedLogRecords: '1' },
    });
  });

  it('dispatches by signal and encoding', () => {
    const result = { rejected: 1, errorMessage: 'm' };
    expect(encodeExportResponse('traces', 'json', result)).toBe(encodeTraceResponseJson(result));
    expect(encodeExportResponse('logs', 'protobuf', result)).toEqual(encodeLogsResponseProtobuf(result));
  });
});

describe('google.rpc.Status', () => {
  it('encodes code and message without details', () => {
    const bytes = encodeRpcStatusProtobuf({ code: 3, message: 'cannot decode OTLP protobuf body' });
    expect(decode('Status', bytes)).toEqual({ code: 3, message: 'cannot decode OTLP protobuf body' });
    expect(JSON.parse(encodeRpcStatusJson({ code: 3, message: 'x' }))).toEqual({ code: 3, message: 'x' });
  });

  it('carries a RetryInfo detail with the retry delay for throttling answers', () => {
    const bytes = encodeStatus('protobuf', { code: 8, message: 'ingest queue full', retryDelaySeconds: 2.5 });
    const status = decode('Status', bytes as Uint8Array) as {
      code: number;
      details: Array<{ typeUrl: string; value: Uint8Array }>;
    };
    expect(status.code).toBe(8);
    expect(status.details).toHaveLength(1);
    expect(status.details[0]!.typeUrl).toBe(RETRY_INFO_TYPE_URL);
    expect(decode('RetryInfo', status.details[0]!.value)).toEqual({ retryDelay: { seconds: '2', nanos: 500_000_000 } });
    expect(
      JSON.parse(encodeStatus('json', { code: 14, message: 'store unavailable', retryDelaySeconds: 30 }) as string),
    ).toEqual({
      code: 14,
      message: 'store unavailable',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' }],
    });
    expect(JSON.parse(encodeRpcStatusJson({ code: 14, message: '', retryDelaySeconds: 0.25 }))).toMatchObject({
      details: [{ retryDelay: '0.250s' }],
    });
  });
});
