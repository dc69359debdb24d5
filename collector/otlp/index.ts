/**
 * OTLP wire formats for the receiver: request decoders (protobuf and JSON, traces and logs) into the model of
 * src/model/otlp.ts, the typed decode error, the per-item limits, and the response encoders.
 */

export { OtlpDecodeError } from './decode-error.ts';
export type { DecodeLimits } from './limits.ts';
export { decodeTracesProtobuf } from './decode-traces-protobuf.ts';
export { decodeLogsProtobuf } from './decode-logs-protobuf.ts';
export { decodeTracesJson } from './decode-traces-json.ts';
export { decodeLogsJson } from './decode-logs-json.ts';
export { MAX_REJECTION_MESSAGES } from './rejection-log.ts';
export {
  RETRY_INFO_TYPE_URL,
  encodeExportResponse,
  encodeStatus,
  encodeLogsResponseJson,
  encodeLogsResponseProtobuf,
  encodeRetryInfoProtobuf,
  encodeRpcStatusJson,
  encodeRpcStatusProtobuf,
  encodeTraceResponseJson,
  encodeTraceResponseProtobuf,
  type ExportPartialSuccess,
  type OtlpEncoding,
  type OtlpSignal,
  type RpcStatus,
} from './encode-response.ts';
export { ProtobufReader } from './protobuf-reader.ts';
