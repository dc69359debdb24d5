/**
 * OTLP enums by wire value, shared by the protobuf decoder (integers) and the JSON decoder (integers, or the
 * enum names that some senders use despite the spec). Values outside the table map to the default member, as
 * proto3 treats unknown enum values.
 */

import type { OtlpSpanKind, OtlpStatusCode } from '../../src/model/otlp.ts';

/** `opentelemetry.proto.trace.v1.Span.SpanKind`, indexed by value. */
export const SPAN_KINDS: readonly OtlpSpanKind[] = [
  'unspecified',
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
];
export const SPAN_KIND_NAMES: readonly string[] = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];

/** `opentelemetry.proto.trace.v1.Status.StatusCode`, indexed by value. */
export const STATUS_CODES: readonly OtlpStatusCode[] = ['unset', 'ok', 'error'];
export const STATUS_CODE_NAMES: readonly string[] = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

/** `opentelemetry.proto.logs.v1.SeverityNumber` names, indexed by value. */
export const SEVERITY_NUMBER_NAMES: readonly string[] = [
  'SEVERITY_NUMBER_UNSPECIFIED',
  ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((level) =>
    ['', '2', '3', '4'].map((suffix) => `SEVERITY_NUMBER_${level}${suffix}`),
  ),
];

export function spanKindOf(value: number): OtlpSpanKind {
  return SPAN_KINDS[value] ?? 'unspecified';
}

export function statusCodeOf(value: number): OtlpStatusCode {
  return STATUS_CODES[value] ?? 'unset';
}
