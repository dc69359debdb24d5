/**
 * Decodes an OTLP/protobuf `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest` straight into the
 * flattened `OtlpSpan` model (field numbers from opentelemetry-proto trace.proto and trace_service.proto).
 * An undecodable body throws `OtlpDecodeError` naming the position; spans that decode but are invalid (bad
 * ids, end before start, oversized values) are counted as rejected for the partial-success answer.
 */

import type {
  Attributes,
  DecodedTraces,
  OtlpEvent,
  OtlpLink,
  OtlpResource,
  OtlpScope,
  OtlpSpan,
} from '../../src/model/otlp.ts';
import {
  decodeAttribute,
  decodeResourceInto,
  decodeScopeInto,
  emptyResource,
  emptyScope,
} from './decode-common-protobuf.ts';
import { decodeEmbedded } from './decode-error.ts';
import { ItemSizeCheck, describeSpan, spanIdsProblem, spanTimesProblem } from './item-validation.ts';
import type { DecodeLimits } from './limits.ts';
import { spanKindOf, statusCodeOf } from './otlp-enums.ts';
import {
  ProtobufReader,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
  tagOf,
} from './protobuf-reader.ts';
import { RejectionLog } from './rejection-log.ts';

// ExportTraceServiceRequest.
const REQUEST_RESOURCE_SPANS = tagOf(1, WIRE_LENGTH_DELIMITED);
// ResourceSpans.
const RESOURCE_SPANS_RESOURCE = tagOf(1, WIRE_LENGTH_DELIMITED);
const RESOURCE_SPANS_SCOPE_SPANS = tagOf(2, WIRE_LENGTH_DELIMITED);
// ScopeSpans.
const SCOPE_SPANS_SCOPE = tagOf(1, WIRE_LENGTH_DELIMITED);
const SCOPE_SPANS_SPANS = tagOf(2, WIRE_LENGTH_DELIMITED);
// Span.
const SPAN_TRACE_ID = tagOf(1, WIRE_LENGTH_DELIMITED);
const SPAN_SPAN_ID = tagOf(2, WIRE_LENGTH_DELIMITED);
const SPAN_TRACE_STATE = tagOf(3, WIRE_LENGTH_DELIMITED);
const SPAN_PARENT_SPAN_ID = tagOf(4, WIRE_LENGTH_DELIMITED);
const SPAN_NAME = tagOf(5, WIRE_LENGTH_DELIMITED);
const SPAN_KIND = tagOf(6, WIRE_VARINT);
const SPAN_START_TIME = tagOf(7, WIRE_FIXED64);
const SPAN_END_TIME = tagOf(8, WIRE_FIXED64);
const SPAN_ATTRIBUTES = tagOf(9, WIRE_LENGTH_DELIMITED);
const SPAN_DROPPED_ATTRIBUTES_COUNT = tagOf(10, WIRE_VARINT);
const SPAN_EVENTS = tagOf(11, WIRE_LENGTH_DELIMITED);
const SPAN_DROPPED_EVENTS_COUNT = tagOf(12, WIRE_VARINT);
const SPAN_LINKS = tagOf(13, WIRE_LENGTH_DELIMITED);
const SPAN_DROPPED_LINKS_COUNT = tagOf(14, WIRE_VARINT);
const SPAN_STATUS = tagOf(15, WIRE_LENGTH_DELIMITED);
const SPAN_FLAGS = tagOf(16, WIRE_FIXED32);
// Span.Event.
const EVENT_TIME = tagOf(1, WIRE_FIXED64);
const EVENT_NAME = tagOf(2, WIRE_LENGTH_DELIMITED);
const EVENT_ATTRIBUTES = tagOf(3, WIRE_LENGTH_DELIMITED);
const EVENT_DROPPED_ATTRIBUTES_COUNT = tagOf(4, WIRE_VARINT);
// Span.Link.
const LINK_TRACE_ID = tagOf(1, WIRE_LENGTH_DELIMITED);
const LINK_SPAN_ID = tagOf(2, WIRE_LENGTH_DELIMITED);
const LINK_TRACE_STATE = tagOf(3, WIRE_LENGTH_DELIMITED);
const LINK_ATTRIBUTES = tagOf(4, WIRE_LENGTH_DELIMITED);
const LINK_DROPPED_ATTRIBUTES_COUNT = tagOf(5, WIRE_VARINT);
const LINK_FLAGS = tagOf(6, WIRE_FIXED32);
// Status (field 1 is the long-removed deprecated_code).
const STATUS_MESSAGE = tagOf(2, WIRE_LENGTH_DELIMITED);
const STATUS_CODE = tagOf(3, WIRE_VARINT);

const EVENT_ATTRIBUTE = 'event attribute';
const LINK_ATTRIBUTE = 'link attribute';

interface TraceDecodeState {
  readonly r: ProtobufReader;
  readonly spans: OtlpSpan[];
  readonly rejections: RejectionLog;
  readonly check: ItemSizeCheck;
}

export function decodeTracesProtobuf(body: Uint8Array, limits: DecodeLimits): DecodedTraces {
  const state: TraceDecodeState = {
    r: new ProtobufReader(body),
    spans: [],
    rejections: new RejectionLog(),
    check: new ItemSizeCheck(limits.maxAttributeBytes),
  };
  const r = state.r;
  let index = 0;
  while (r.hasMore()) {
    const tag = r.readTag();
    if (tag === REQUEST_RESOURCE_SPANS) {
      decodeEmbedded(r, 'ResourceSpans', index, () => decodeResourceSpans(state));
      index++;
    } else {
      r.skipField(tag);
    }
  }
  return { spans: state.spans, rejected: state.rejections.rejected, rejectionMessages: state.rejections.messages };
}

function decodeResourceSpans(state: TraceDecodeState): void {
  const r = state.r;
  const resource = emptyResource();
  let index = 0;
  while (r.hasMore()) {
    const tag = r.readTag();
    if (tag === RESOURCE_SPANS_RESOURCE) {
      decodeEmbedded(r, 'Resource', -1, () => decodeResourceInto(r, resource));
    } else if (tag === RESOURCE_SPANS_SCOPE_SPANS) {
      decodeEmbedded(r, 'ScopeSpans', index, () => decodeScopeSpans(state, resource));
      index++;
    } else {
      // schema_url (3).
      r.skipField(tag);
    }
  }
}

function decodeScopeSpans(state: TraceDecodeState, resource: OtlpResource): void {
  const r = state.r;
  const scope = emptyScope();
  let index = 0;
  while (r.hasMore()) {
    const tag = r.readTag();
    if (tag === SCOPE_SPANS_SCOPE) {
      decodeEmbedded(r, 'Scope', -1, () => decodeScopeInto(r, scope));
    } else if (tag === SCOPE_SPANS_SPANS) {
      decodeEmbedded(r, 'Span', index, () => decodeSpan(state, resource, scope));
      index++;
    } else {
      r.skipField(tag);
    }
  }
}

function decodeSpan(state: TraceDecodeState, resource: OtlpResource, scope: OtlpScope): void {
  const { r, check } = state;
  check.reset();
  let traceId = '';
  let spanId = '';
  let traceState = '';
  let parentSpanId = '';
  let flags = 0;
  let name = '';
  let kind = 0;
  let startTimeUnixNano = 0n;
  let endTimeUnixNano = 0n;
  const attributes: Attributes = {};
  let attributeIndex = 0;
  let droppedAttributesCount = 0;
  const events: OtlpEvent[] = [];
  let droppedEventsCount = 0;
  const links: OtlpLink[] = [];
  let droppedLinksCount = 0;
  let status: OtlpSpan['status'] = { code: 'unset', message: '' };
  while (r.hasMore()) {
    const tag = r.readTag();
    switch (tag) {
      case SPAN_TRACE_ID:
        traceId = r.readHex();
        break;
      case SPAN_SPAN_ID:
        spanId = r.readHex();
        break;
      case SPAN_TRACE_STATE:
        traceState = r.readString();
        break;
      case SPAN_PARENT_SPAN_ID:
        parentSpanId = r.readHex();
        break;
      case SPAN_NAME:
        name = r.readString();
        break;
      case SPAN_KIND:
        kind = r.readInt32();
        break;
      case SPAN_START_TIME:
        startTimeUnixNano = r.readFixed64();
        break;
      case SPAN_END_TIME:
        endTimeUnixNano = r.readFixed64();
        break;
      case SPAN_ATTRIBUTES:
        decodeAttribute(r, attributes, attributeIndex++, check, 'attribute');
        break;
      case SPAN_DROPPED_ATTRIBUTES_COUNT:
        droppedAttributesCount = r.readVarint32();
        break;
      case SPAN_EVENTS: {
        events.push(decodeEmbedded(r, 'Event', events.length, () => decodeEvent(r, check)));
        break;
      }
      case SPAN_DROPPED_EVENTS_COUNT:
        droppedEventsCount = r.readVarint32();
        break;
      case SPAN_LINKS: {
        links.push(decodeEmbedded(r, 'Link', links.length, () => decodeLink(r, check)));
        break;
      }
      case SPAN_DROPPED_LINKS_COUNT:
        droppedLinksCount = r.readVarint32();
        break;
      case SPAN_STATUS: {
        status = decodeEmbedded(r, 'Status', -1, () => decodeStatus(r));
        break;
      }
      case SPAN_FLAGS:
        flags = r.readFixed32();
        break;
      default:
        r.skipField(tag);
    }
  }
  const problem =
    spanIdsProblem(traceId, spanId, parentSpanId) ??
    spanTimesProblem(startTimeUnixNano, endTimeUnixNano) ??
    check.problem();
  if (problem !== undefined) {
    state.rejections.add(`${describeSpan(name, spanId)}: ${problem}`);
    return;
  }
  state.spans.push({
    resource,
    scope,
    traceId,
    spanId,
    parentSpanId,
    traceState,
    flags,
    name,
    kind: spanKindOf(kind),
    startTimeUnixNano,
    endTimeUnixNano,
    attributes,
    droppedAttributesCount,
    events,
    droppedEventsCount,
    links,
    droppedLinksCount,
    status,
  });
}

function decodeEvent(r: ProtobufReader, check: ItemSizeCheck): OtlpEvent {
  let timeUnixNano = 0n;
  let name = '';
  const attributes: Attributes = {};
  let attributeIndex = 0;
  let droppedAttributesCount = 0;
  while (r.hasMore()) {
    const tag = r.readTag();
    if (tag === EVENT_TIME) timeUnixNano = r.readFixed64();
    else if (tag === EVENT_NAME) name = r.readString();
    else if (tag === EVENT_ATTRIBUTES) decodeAttribute(r, attributes, attributeIndex++, check, EVENT_ATTRIBUTE);
    else if (tag === EVENT_DROPPED_ATTRIBUTES_COUNT) droppedAttributesCount = r.readVarint32();
    else r.skipField(tag);
  }
  check.renameOversized(EVENT_ATTRIBUTE, `event "${name}" attribute`);
  return { timeUnixNano, name, attributes, droppedAttributesCount };
}

function decodeLink(r: ProtobufReader, check: ItemSizeCheck): OtlpLink {
  let traceId = '';
  let spanId = '';
  let traceState = '';
  const attributes: Attributes = {};
  let attributeIndex = 0;
  let droppedAttributesCount = 0;
  let flags = 0;
  while (r.hasMore()) {
    const tag = r.readTag();
    switch (tag) {
      case LINK_TRACE_ID:
        traceId = r.readHex();
        break;
      case LINK_SPAN_ID:
        spanId = r.readHex();
        break;
      case LINK_TRACE_STATE:
        traceState = r.readString();
        break;
      case LINK_ATTRIBUTES:
        decodeAttribute(r, attributes, attributeIndex++, check, LINK_ATTRIBUTE);
        break;
      case LINK_DROPPED_ATTRIBUTES_COUNT:
        droppedAttributesCount = r.readVarint32();
        break;
      case LINK_FLAGS:
        flags = r.readFixed32();
        break;
      default:
        r.skipField(tag);
    }
  }
  return { traceId, spanId, traceState, attributes, droppedAttributesCount, flags };
}

function decodeStatus(r: ProtobufReader): OtlpSpan['status'] {
  let code = 0;
  let message = '';
  while (r.hasMore()) {
    const tag = r.readTag();
    if (tag === STATUS_MESSAGE) message = r.readString();
    else if (tag === STATUS_CODE) code = r.readInt32();
    else r.skipField(tag);
  }
  return { code: statusCodeOf(code), message };
}
