/**
 * Decoded OTLP data as the receiver hands it to the rest of the system. Both OTLP encodings (protobuf and JSON)
 * decode into these plain shapes, so the convention mappings and the store never see the wire format.
 *
 * AnyValue is represented as a plain JS value: strings, booleans, numbers (doubles), `bigint` for int64 values
 * that do not fit a double exactly (small ones are plain numbers), `Uint8Array` for bytes, arrays, and
 * `{ [key]: value }` objects for kvlists. An absent/empty AnyValue is `null`.
 */

export type AttributeValue =
  string | number | bigint | boolean | Uint8Array | null | AttributeValue[] | { [key: string]: AttributeValue };

export type Attributes = Record<string, AttributeValue>;

export interface OtlpEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface OtlpLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
}

/** OTLP SpanKind enum values, by their OTLP names. */
export type OtlpSpanKind = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export type OtlpStatusCode = 'unset' | 'ok' | 'error';

export interface OtlpScope {
  name: string;
  version: string;
  attributes: Attributes;
}

export interface OtlpResource {
  attributes: Attributes;
  droppedAttributesCount: number;
}

/** One span with its resource and scope attached (flattened out of ResourceSpans / ScopeSpans). */
export interface OtlpSpan {
  resource: OtlpResource;
  scope: OtlpScope;
  /** Lower-case hex, 32 characters. */
  traceId: string;
  /** Lower-case hex, 16 characters. */
  spanId: string;
  /** Lower-case hex, or '' for a root span. */
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: OtlpSpanKind;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: OtlpEvent[];
  droppedEventsCount: number;
  links: OtlpLink[];
  droppedLinksCount: number;
  status: { code: OtlpStatusCode; message: string };
}

/** One log record with its resource and scope attached (flattened out of ResourceLogs / ScopeLogs). */
export interface OtlpLogRecord {
  resource: OtlpResource;
  scope: OtlpScope;
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: AttributeValue;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
  /** Lower-case hex or '' when the record is not tied to a trace. */
  traceId: string;
  /** Lower-case hex or ''. */
  spanId: string;
  /** The OTLP `event_name` field (newer protos); falls back to the `event.name` attribute when absent. */
  eventName: string;
}

/**
 * The outcome of decoding one export request. Items that are structurally decodable but invalid
 * (bad ids, end before start, ...) are counted in `rejected` with a reason, which becomes the OTLP
 * `partial_success` answer; an undecodable body is a thrown `OtlpDecodeError` instead.
 */
export interface DecodedTraces {
  spans: OtlpSpan[];
  rejected: number;
  rejectionMessages: string[];
}

export interface DecodedLogs {
  logs: OtlpLogRecord[];
  rejected: number;
  rejectionMessages: string[];
}
