/**
 * Encoders for what the receiver answers: the OTLP export responses (`ExportTraceServiceResponse`,
 * `ExportLogsServiceResponse`, with `partial_success` when items were rejected) and the `google.rpc.Status`
 * body/trailer of failed requests, optionally carrying a `google.rpc.RetryInfo` detail that tells a throttled
 * client how long to wait (gRPC RESOURCE_EXHAUSTED/UNAVAILABLE, HTTP 429/503). Each exists in protobuf and in
 * OTLP/JSON (proto3 JSON mapping: int64 as decimal strings, `Any` with an `@type` key, Duration as "1.5s").
 */

import { ProtobufWriter } from './protobuf-writer.ts';

/** The rejected part of an export; `{ rejected: 0, errorMessage: '' }` means full success. */
export interface ExportPartialSuccess {
  rejected: number;
  errorMessage: string;
}

export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/** A `google.rpc.Status`; `retryDelaySeconds` adds a RetryInfo detail. */
export interface RpcStatus {
  /** gRPC status code (e.g. 3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED, 14 UNAVAILABLE). */
  code: number;
  message: string;
  /** How long the client should wait before retrying (fractions allowed, millisecond precision). */
  retryDelaySeconds?: number | undefined;
}

export type OtlpEncoding = 'protobuf' | 'json';
export type OtlpSignal = 'traces' | 'logs';

function isFullSuccess(result: ExportPartialSuccess): boolean {
  return result.rejected === 0 && result.errorMessage === '';
}

/**
 * ExportTraceServiceResponse / ExportLogsServiceResponse share their shape: partial_success (1) holding
 * rejected_spans|rejected_log_records (int64, 1) and error_message (2). Full success is the empty message.
 */
function encodeExportResponseProtobuf(result: ExportPartialSuccess): Uint8Array {
  if (isFullSuccess(result)) return new Uint8Array(0);
  const partialSuccess = new ProtobufWriter().int(1, result.rejected).string(2, result.errorMessage).finish();
  return new ProtobufWriter().message(1, partialSuccess).finish();
}

function encodeExportResponseJson(result: ExportPartialSuccess, rejectedKey: string): string {
  if (isFullSuccess(result)) return '{}';
  const partialSuccess: Record<string, string> = {};
  if (result.rejected !== 0) partialSuccess[rejectedKey] = String(result.rejected);
  if (result.errorMessage !== '') partialSuccess['errorMessage'] = result.errorMessage;
  return JSON.stringify({ partialSuccess });
}

export function encodeTraceResponseProtobuf(result: ExportPartialSuccess): Uint8Array {
  return encodeExportResponseProtobuf(result);
}

export function encodeTraceResponseJson(result: ExportPartialSuccess): string {
  return encodeExportResponseJson(result, 'rejectedSpans');
}

export function encodeLogsResponseProtobuf(result: ExportPartialSuccess): Uint8Array {
  return encodeExportResponseProtobuf(result);
}

export function encodeLogsResponseJson(result: ExportPartialSuccess): string {
  return encodeExportResponseJson(result, 'rejectedLogRecords');
}

function splitSeconds(delaySeconds: number): { seconds: number; nanos: number } {
  const totalMillis = Math.max(0, Math.round(delaySeconds * 1000));
  return { seconds: Math.floor(totalMillis / 1000), nanos: (totalMillis % 1000) * 1_000_000 };
}

/** `google.rpc.RetryInfo { google.protobuf.Duration retry_delay = 1 }`, Duration being { seconds = 1, nanos = 2 }. */
export function encodeRetryInfoProtobuf(retryDelaySeconds: number): Uint8Array {
  const { seconds, nanos } = splitSeconds(retryDelaySeconds);
  const duration = new ProtobufWriter().int(1, seconds).int(2, nanos).finish();
  return new ProtobufWriter().message(1, duration).finish();
}

/** Duration in proto3 JSON: seconds with 0, 3, 6 or 9 fractional digits and an "s" suffix. */
function durationJson(delaySeconds: number): string {
  const { seconds, nanos } = splitSeconds(delaySeconds);
  return nanos === 0 ? `${seconds}s` : `${seconds}.${String(nanos / 1_000_000).padStart(3, '0')}s`;
}

/** `google.rpc.Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3 }`. */
export function encodeRpcStatusProtobuf(status: RpcStatus): Uint8Array {
  const writer = new ProtobufWriter().int(1, status.code).string(2, status.message);
  if (status.retryDelaySeconds !== undefined) {
    // google.protobuf.Any { string type_url = 1; bytes value = 2 }.
    const detail = new ProtobufWriter()
      .string(1, RETRY_INFO_TYPE_URL)
      .bytesField(2, encodeRetryInfoProtobuf(status.retryDelaySeconds))
      .finish();
    writer.message(3, detail);
  }
  return writer.finish();
}

export function encodeRpcStatusJson(status: RpcStatus): string {
  const json: { code: number; message: string; details?: Array<Record<string, string>> } = {
    code: status.code,
    message: status.message,
  };
  if (status.retryDelaySeconds !== undefined) {
    json.details = [{ '@type': RETRY_INFO_TYPE_URL, retryDelay: durationJson(status.retryDelaySeconds) }];
  }
  return JSON.stringify(json);
}

/** The export response for `signal` in `encoding`: bytes for protobuf, a string for JSON. */
export function encodeExportResponse(
  signal: OtlpSignal,
  encoding: OtlpEncoding,
  result: ExportPartialSuccess,
): Uint8Array | string {
  if (signal === 'traces') {
    return encoding === 'protobuf' ? encodeTraceResponseProtobuf(result) : encodeTraceResponseJson(result);
  }
  return encoding === 'protobuf' ? encodeLogsResponseProtobuf(result) : encodeLogsResponseJson(result);
}

/** A google.rpc.Status in `encoding`: bytes for protobuf (also the gRPC `grpc-status-details-bin`), JSON text. */
export function encodeStatus(encoding: OtlpEncoding, status: RpcStatus): Uint8Array | string {
  return encoding === 'protobuf' ? encodeRpcStatusProtobuf(status) : encodeRpcStatusJson(status);
}
