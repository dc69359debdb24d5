/**
 * The checks that turn a decodable span or log record into a rejected one, shared by the protobuf and JSON
 * decoders so both encodings reject the same items with the same words. Each check returns a short problem
 * text (or undefined); the decoders prefix it with the item's identity for the partial-success message.
 */

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

function idLengthProblem(label: string, hex: string, expected: string): string {
  return `${label} is ${hex.length / 2} bytes, expected ${expected}`;
}

/** Problem with a span's ids; ids are lower-case hex of whatever length the sender used. */
export function spanIdsProblem(traceId: string, spanId: string, parentSpanId: string): string | undefined {
  if (traceId.length !== 32) return idLengthProblem('trace id', traceId, '16');
  if (traceId === ZERO_TRACE_ID) return 'trace id is all zeros';
  if (spanId.length !== 16) return idLengthProblem('span id', spanId, '8');
  if (spanId === ZERO_SPAN_ID) return 'span id is all zeros';
  if (parentSpanId.length !== 0 && parentSpanId.length !== 16) {
    return idLengthProblem('parent span id', parentSpanId, '0 or 8');
  }
  return undefined;
}

export function spanTimesProblem(startTimeUnixNano: bigint, endTimeUnixNano: bigint): string | undefined {
  if (endTimeUnixNano < startTimeUnixNano) {
    return `end time ${endTimeUnixNano} is before start time ${startTimeUnixNano}`;
  }
  return undefined;
}

/**
 * Problem with a log record's optional ids. All-zero ids are what some SDKs send for "no active span", so they
 * count as absent (the caller maps them to '') rather than as invalid.
 */
export function logIdsProblem(traceId: string, spanId: string): string | undefined {
  if (traceId.length !== 0 && traceId.length !== 32) return idLengthProblem('trace id', traceId, '0 or 16');
  if (spanId.length !== 0 && spanId.length !== 16) return idLengthProblem('span id', spanId, '0 or 8');
  if (spanId.length !== 0 && traceId.length === 0) return 'span id is set but trace id is not';
  return undefined;
}

/** '' for the all-zero ids that mean "not part of a trace" on a log record. */
export function normalizeLogTraceId(traceId: string): string {
  return traceId === ZERO_TRACE_ID ? '' : traceId;
}

export function normalizeLogSpanId(spanId: string): string {
  return spanId === ZERO_SPAN_ID ? '' : spanId;
}

export function describeSpan(name: string, spanId: string): string {
  return `span "${name}" (${spanId === '' ? 'no span id' : spanId})`;
}

/**
 * Tracks the first oversized value met while decoding one item. One instance per request is reset for each
 * item, and the description is only formatted when a rejection is reported, so the hot path allocates nothing.
 */
export class ItemSizeCheck {
  readonly limit: number;
  /** What the first oversized value of the current item was, e.g. `attribute` or `event "x" attribute`. */
  oversizedWhat: string | undefined = undefined;
  /** Its attribute key, or undefined for a log body. */
  oversizedKey: string | undefined = undefined;
  oversizedBytes = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  reset(): void {
    this.oversizedWhat = undefined;
    this.oversizedKey = undefined;
  }

  /** Records the value as oversized if it is the first one; returns true so callers can skip materialising it. */
  exceeds(bytes: number, what: string, key: string | undefined): boolean {
    if (bytes <= this.limit) return false;
    if (this.oversizedWhat === undefined) {
      this.oversizedWhat = what;
      this.oversizedKey = key;
      this.oversizedBytes = bytes;
    }
    return true;
  }

  /** Events are named after their attributes may have been read; this puts the name into the description. */
  renameOversized(from: string, to: string): void {
    if (this.oversizedWhat === from) this.oversizedWhat = to;
  }

  problem(): string | undefined {
    if (this.oversizedWhat === undefined) return undefined;
    const subject =
      this.oversizedKey === undefined ? this.oversizedWhat : `${this.oversizedWhat} "${this.oversizedKey}"`;
    return `${subject} is ${this.oversizedBytes} bytes, over the ${this.limit}-byte per-attribute limit (--max-attribute-bytes)`;
  }
}
