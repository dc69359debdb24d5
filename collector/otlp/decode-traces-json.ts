/**
 * Decodes an OTLP/JSON `ExportTraceServiceRequest` into the same `OtlpSpan` model as the protobuf decoder, so
 * nothing downstream knows which encoding a span arrived in. The body is validated with zod (an invalid body
 * throws `OtlpDecodeError` naming the JSON path); valid-but-unacceptable spans go to the rejection count with
 * the same rules and messages as in protobuf.
 */

import type { z } from 'zod';
import type { DecodedTraces, OtlpEvent, OtlpLink, OtlpResource, OtlpScope } from '../../src/model/otlp.ts';
import { parseJsonBody, toAttributes, toResource, toScope, validateJson } from './decode-common-json.ts';
import { ItemSizeCheck, describeSpan, spanIdsProblem, spanTimesProblem } from './item-validation.ts';
import type { DecodeLimits } from './limits.ts';
import { SPAN_KIND_NAMES, STATUS_CODE_NAMES, spanKindOf, statusCodeOf } from './otlp-enums.ts';
import {
  attributesField,
  enumField,
  hexIdField,
  message,
  repeated,
  resourceSchema,
  scopeSchema,
  stringField,
  uint32Field,
  uint64Field,
} from './otlp-json-schema.ts';
import { RejectionLog } from './rejection-log.ts';

const eventSchema = message({
  timeUnixNano: uint64Field,
  name: stringField,
  attributes: attributesField,
  droppedAttributesCount: uint32Field,
});

const linkSchema = message({
  traceId: hexIdField(16),
  spanId: hexIdField(8),
  traceState: stringField,
  attributes: attributesField,
  droppedAttributesCount: uint32Field,
  flags: uint32Field,
});

const spanSchema = message({
  traceId: hexIdField(16),
  spanId: hexIdField(8),
  traceState: stringField,
  parentSpanId: hexIdField(8),
  flags: uint32Field,
  name: stringField,
  kind: enumField(SPAN_KIND_NAMES),
  startTimeUnixNano: uint64Field,
  endTimeUnixNano: uint64Field,
  attributes: attributesField,
  droppedAttributesCount: uint32Field,
  events: repeated(eventSchema),
  droppedEventsCount: uint32Field,
  links: repeated(linkSchema),
  droppedLinksCount: uint32Field,
  status: message({ message: stringField, code: enumField(STATUS_CODE_NAMES) }),
});

const requestSchema = message({
  resourceSpans: repeated(
    message({
      resource: resourceSchema,
      scopeSpans: repeated(message({ scope: scopeSchema, spans: repeated(spanSchema) })),
    }),
  ),
});

type JsonSpan = NonNullable<z.output<typeof spanSchema>>;

export function decodeTracesJson(body: Uint8Array | string, limits: DecodeLimits): DecodedTraces {
  const request = validateJson(requestSchema, parseJsonBody(body));
  const spans: DecodedTraces['spans'] = [];
  const rejections = new RejectionLog();
  const check = new ItemSizeCheck(limits.maxAttributeBytes);
  for (const resourceSpans of request?.resourceSpans ?? []) {
    const resource = toResource(resourceSpans?.resource);
    for (const scopeSpans of resourceSpans?.scopeSpans ?? []) {
      const scope = toScope(scopeSpans?.scope);
      for (const span of scopeSpans?.spans ?? []) {
        // A JSON `null` in a repeated field is an absent message; there is nothing to keep or reject.
        if (span !== null && span !== undefined) convertSpan(span, resource, scope, check, rejections, spans);
      }
    }
  }
  return { spans, rejected: rejections.rejected, rejectionMessages: rejections.messages };
}

function convertSpan(
  span: JsonSpan,
  resource: OtlpResource,
  scope: OtlpScope,
  check: ItemSizeCheck,
  rejections: RejectionLog,
  spans: DecodedTraces['spans'],
): void {
  check.reset();
  const attributes = toAttributes(span.attributes, check, 'attribute');
  const events: OtlpEvent[] = [];
  for (const event of span.events) {
    if (event === null || event === undefined) continue;
    const what = `event "${event.name}" attribute`;
    events.push({
      timeUnixNano: event.timeUnixNano,
      name: event.name,
      attributes: toAttributes(event.attributes, check, what),
      droppedAttributesCount: event.droppedAttributesCount,
    });
  }
  const links: OtlpLink[] = [];
  for (const link of span.links) {
    if (link === null || link === undefined) continue;
    links.push({
      traceId: link.traceId,
      spanId: link.spanId,
      traceState: link.traceState,
      attributes: toAttributes(link.attributes, check, 'link attribute'),
      droppedAttributesCount: link.droppedAttributesCount,
      flags: link.flags,
    });
  }
  const problem =
    spanIdsProblem(span.traceId, span.spanId, span.parentSpanId) ??
    spanTimesProblem(span.startTimeUnixNano, span.endTimeUnixNano) ??
    check.problem();
  if (problem !== undefined) {
    rejections.add(`${describeSpan(span.name, span.spanId)}: ${problem}`);
    return;
  }
  spans.push({
    resource,
    scope,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    traceState: span.traceState,
    flags: span.flags,
    name: span.name,
    kind: spanKindOf(span.kind),
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    attributes,
    droppedAttributesCount: span.droppedAttributesCount,
    events,
    droppedEventsCount: span.droppedEventsCount,
    links,
    droppedLinksCount: span.droppedLinksCount,
    status: { code: statusCodeOf(span.status?.code ?? 0), message: span.status?.message ?? '' },
  });
}
