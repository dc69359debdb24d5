/**
 * Decodes an OTLP/protobuf `opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest` into flattened
 * `OtlpLogRecord`s (field numbers from opentelemetry-proto logs.proto and logs_service.proto). Log records
 * matter here because GenAI conventions have carried prompts and completions as log events
 * (`event_name`, field 12); malformed ids or oversized bodies reject the record, not the request.
 */

import type { AttributeValue, Attributes, DecodedLogs, OtlpResource, OtlpScope } from '../../src/model/otlp.ts';
import {
  decodeAnyValue,
  decodeAttribute,
  decodeResourceInto,
  decodeScopeInto,
  emptyResource,
  peekAnyValuePayloadSize,
  emptyScope,
} from './decode-common-protobuf.ts';
import { decodeEmbedded } from './decode-error.ts';
import { ItemSizeCheck, logIdsProblem, normalizeLogSpanId, normalizeLogTraceId } from './item-validation.ts';
import type { DecodeLimits } from './limits.ts';
import {
  ProtobufReader,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
  tagOf,
} from './protobuf-reader.ts';
import { RejectionLog } from './rejection-log.ts';

// ExportLogsServiceRequest.
const REQUEST_RESOURCE_LOGS = tagOf(1, WIRE_LENGTH_DELIMITED);
// ResourceLogs.
const RESOURCE_LOGS_RESOURCE = tagOf(1, WIRE_LENGTH_DELIMITED);
const RESOURCE_LOGS_SCOPE_LOGS = tagOf(2, WIRE_LENGTH_DELIMITED);
// ScopeLogs.
const SCOPE_LOGS_SCOPE = tagOf(1, WIRE_LENGTH_DELIMITED);
const SCOPE_LOGS_LOG_RECORDS = tagOf(2, WIRE_LENGTH_DELIMITED);
// LogRecord (field 4 is reserved).
const LOG_TIME = tagOf(1, WIRE_FIXED64);
const LOG_SEVERITY_NUMBER = tagOf(2, WIRE_VARINT);
const LOG_SEVERITY_TEXT = tagOf(3, WIRE_LENGTH_DELIMITED);
const LOG_BODY = tagOf(5, WIRE_LENGTH_DELIMITED);
const LOG_ATTRIBUTES = tagOf(6, WIRE_LENGTH_DELIMITED);
const LOG_DROPPED_ATTRIBUTES_COUNT = tagOf(7, WIRE_VARINT);
const LOG_FLAGS = tagOf(8, WIRE_FIXED32);
const LOG_TRACE_ID = tagOf(9, WIRE_LENGTH_DELIMITED);
const LOG_SPAN_ID = tagOf(10, WIRE_LENGTH_DELIMITED);
const LOG_OBSERVED_TIME = tagOf(11, WIRE_FIXED64);
const LOG_EVENT_NAME = tagOf(12, WIRE_LENGTH_DELIMITED);

interface LogDecodeState {
  readonly r: ProtobufReader;
  readonly logs: DecodedLogs['logs'];
  readonly rejections: RejectionLog;
  readonly check: ItemSizeCheck;
}

export function decodeLogsProtobuf(body: Uint8Array, limits: DecodeLimits): DecodedLogs {
  const state: LogDecodeState = {
    r: new ProtobufReader(body),
    logs: [],
    rejections: new RejectionLog(),
    check: new ItemSizeCheck(limits.maxAttributeBytes),
  };
  const r = state.r;
  let index = 0;
  while (r.hasMore()) {
    const tag = r.readTag();
    if (tag === REQUEST_RESOURCE_LOGS) {
      // The path also names rejected records in the partial-success message, so it is built up front here.
      const path = `ResourceLogs[${index}]`;
      decodeEmbedded(r, path, -1, () => decodeResourceLogs(state, path));
      index++;
    } else {
      r.skipField(tag);
    }
  }
  return { logs: state.logs, rejected: state.rejections.rejected, rejectionMessages: state.rejections.messages };
}

function decodeResourceLogs(state: LogDecodeState, path: string): void {
  const r = state.r;
  const resource = emptyResource();
  let index = 0;
  while (r.hasMore()) {
    const tag = r.readTag();
    if (tag === RESOURCE_LOGS_RESOURCE) {
      decodeEmbedded(r, 'Resource', -1, () => decodeResourceInto(r, resource));
    } else if (tag === RESOURCE_LOGS_SCOPE_LOGS) {
      const segment = `ScopeLogs[${index}]`;
      decodeEmbedded(r, segment, -1, () => decodeScopeLogs(state, resource, `${path}.${segment}`));
      index++;
    } else {
      r.skipField(tag);
    }
  }
}

function decodeScopeLogs(state: LogDecodeState, resource: OtlpResource, path: string): void {
  const r = state.r;
  const scope = emptyScope();
  let index = 0;
  while (r.hasMore()) {
    const tag = r.readTag();
    if (tag === SCOPE_LOGS_SCOPE) {
      decodeEmbedded(r, 'Scope', -1, () => decodeScopeInto(r, scope));
    } else if (tag === SCOPE_LOGS_LOG_RECORDS) {
      decodeEmbedded(r, 'LogRecord', index, () => decodeLogRecord(state, resource, scope, path, index));
      index++;
    } else {
      r.skipField(tag);
    }
  }
}

function decodeLogRecord(
  state: LogDecodeState,
  resource: OtlpResource,
  scope: OtlpScope,
  scopePath: string,
  index: number,
): void {
  const { r, check } = state;
  check.reset();
  let timeUnixNano = 0n;
  let observedTimeUnixNano = 0n;
  let severityNumber = 0;
  let severityText = '';
  let body: AttributeValue = null;
  const attributes: Attributes = {};
  let attributeIndex = 0;
  let droppedAttributesCount = 0;
  let flags = 0;
  let traceId = '';
  let spanId = '';
  let eventName = '';
  while (r.hasMore()) {
    const tag = r.readTag();
    switch (tag) {
      case LOG_TIME:
        timeUnixNano = r.readFixed64();
        break;
      case LOG_OBSERVED_TIME:
        observedTimeUnixNano = r.readFixed64();
        break;
      case LOG_SEVERITY_NUMBER:
        severityNumber = r.readInt32();
        break;
      case LOG_SEVERITY_TEXT:
        severityText = r.readString();
        break;
      case LOG_BODY: {
        if (r.peekLength() > check.limit && check.exceeds(peekAnyValuePayloadSize(r), 'body', undefined)) {
          r.skipField(tag);
          break;
        }
        body = decodeEmbedded(r, 'Body', -1, () => decodeAnyValue(r, 0));
        break;
      }
      case LOG_ATTRIBUTES:
        decodeAttribute(r, attributes, attributeIndex++, check, 'attribute');
        break;
      case LOG_DROPPED_ATTRIBUTES_COUNT:
        droppedAttributesCount = r.readVarint32();
        break;
      case LOG_FLAGS:
        flags = r.readFixed32();
        break;
      case LOG_TRACE_ID:
        traceId = normalizeLogTraceId(r.readHex());
        break;
      case LOG_SPAN_ID:
        spanId = normalizeLogSpanId(r.readHex());
        break;
      case LOG_EVENT_NAME:
        eventName = r.readString();
        break;
      default:
        r.skipField(tag);
    }
  }
  if (eventName === '') {
    const attributeEventName = attributes['event.name'];
    if (typeof attributeEventName === 'string') eventName = attributeEventName;
  }
  const problem = logIdsProblem(traceId, spanId) ?? check.problem();
  if (problem !== undefined) {
    const label = eventName === '' ? 'log record' : `log record "${eventName}"`;
    state.rejections.add(`${label} (${scopePath}.LogRecord[${index}]): ${problem}`);
    return;
  }
  state.logs.push({
    resource,
    scope,
    timeUnixNano,
    observedTimeUnixNano,
    severityNumber,
    severityText,
    body,
    attributes,
    droppedAttributesCount,
    flags,
    traceId,
    spanId,
    eventName,
  });
}
