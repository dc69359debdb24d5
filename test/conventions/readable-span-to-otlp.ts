/**
 * Test helper: turns the SDK's in-memory `ReadableSpan`s into the decoded `OtlpSpan` shape the receiver hands
 * to the mappers. It mirrors what an OTLP round trip does to values (arrays stay arrays, ints stay numbers,
 * hrtime becomes nanoseconds), so the tests exercise the mappers on what real libraries emit, without a wire.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Attributes as OtelAttributes, HrTime } from '@opentelemetry/api';
import type { AttributeValue, Attributes, OtlpSpan, OtlpSpanKind } from '../../src/model/otlp.ts';

const SPAN_KINDS: OtlpSpanKind[] = ['internal', 'server', 'client', 'producer', 'consumer'];
const STATUS_CODES = ['unset', 'ok', 'error'] as const;

function hrTimeToNanos(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

function toAttributes(attributes: OtelAttributes | undefined): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (value === undefined) continue;
    out[key] = value as AttributeValue;
  }
  return out;
}

export function readableSpanToOtlp(span: ReadableSpan, resourceAttributes: Attributes = {}): OtlpSpan {
  const context = span.spanContext();
  return {
    resource: {
      attributes: { ...toAttributes(span.resource.attributes), ...resourceAttributes },
      droppedAttributesCount: 0,
    },
    scope: { name: span.instrumentationScope.name, version: span.instrumentationScope.version ?? '', attributes: {} },
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    traceState: '',
    flags: context.traceFlags,
    name: span.name,
    kind: SPAN_KINDS[span.kind] ?? 'unspecified',
    startTimeUnixNano: hrTimeToNanos(span.startTime),
    endTimeUnixNano: hrTimeToNanos(span.endTime),
    attributes: toAttributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((event) => ({
      timeUnixNano: hrTimeToNanos(event.time),
      name: event.name,
      attributes: toAttributes(event.attributes),
      droppedAttributesCount: event.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: [],
    droppedLinksCount: 0,
    status: { code: STATUS_CODES[span.status.code] ?? 'unset', message: span.status.message ?? '' },
  };
}
