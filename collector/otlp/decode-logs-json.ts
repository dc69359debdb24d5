/**
 * Decodes an OTLP/JSON `ExportLogsServiceRequest` into the same `OtlpLogRecord` model as the protobuf decoder.
 * Structure is validated with zod (a bad body throws `OtlpDecodeError` with the JSON path); records with bad
 * ids or oversized values are rejected with the same rules and wording as in protobuf.
 */

import type { z } from 'zod';
import type { AttributeValue, DecodedLogs, OtlpResource, OtlpScope } from '../../src/model/otlp.ts';
import { isOversized, parseJsonBody, toAttributes, toResource, toScope, validateJson } from './decode-common-json.ts';
import { ItemSizeCheck, logIdsProblem, normalizeLogSpanId, normalizeLogTraceId } from './item-validation.ts';
import type { DecodeLimits } from './limits.ts';
import { SEVERITY_NUMBER_NAMES } from './otlp-enums.ts';
import {
  anyValueSchema,
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

const logRecordSchema = message({
  timeUnixNano: uint64Field,
  observedTimeUnixNano: uint64Field,
  severityNumber: enumField(SEVERITY_NUMBER_NAMES),
  severityText: stringField,
  body: anyValueSchema,
  attributes: attributesField,
  droppedAttributesCount: uint32Field,
  flags: uint32Field,
  traceId: hexIdField(16),
  spanId: hexIdField(8),
  eventName: stringField,
});

const requestSchema = message({
  resourceLogs: repeated(
    message({
      resource: resourceSchema,
      scopeLogs: repeated(message({ scope: scopeSchema, logRecords: repeated(logRecordSchema) })),
    }),
  ),
});

type JsonLogRecord = NonNullable<z.output<typeof logRecordSchema>>;

export function decodeLogsJson(body: Uint8Array | string, limits: DecodeLimits): DecodedLogs {
  const request = validateJson(requestSchema, parseJsonBody(body));
  const logs: DecodedLogs['logs'] = [];
  const rejections = new RejectionLog();
  const check = new ItemSizeCheck(limits.maxAttributeBytes);
  const resourceLogsList = request?.resourceLogs ?? [];
  for (let resourceIndex = 0; resourceIndex < resourceLogsList.length; resourceIndex++) {
    const resourceLogs = resourceLogsList[resourceIndex];
    const resource = toResource(resourceLogs?.resource);
    const scopeLogsList = resourceLogs?.scopeLogs ?? [];
    for (let scopeIndex = 0; scopeIndex < scopeLogsList.length; scopeIndex++) {
      const scopeLogs = scopeLogsList[scopeIndex];
      const scope = toScope(scopeLogs?.scope);
      const records = scopeLogs?.logRecords ?? [];
      for (let index = 0; index < records.length; index++) {
        const record = records[index];
        if (record === null || record === undefined) continue;
        const path = `resourceLogs[${resourceIndex}].scopeLogs[${scopeIndex}].logRecords[${index}]`;
        convertLogRecord(record, resource, scope, path, check, rejections, logs);
      }
    }
  }
  return { logs, rejected: rejections.rejected, rejectionMessages: rejections.messages };
}

function convertLogRecord(
  record: JsonLogRecord,
  resource: OtlpResource,
  scope: OtlpScope,
  path: string,
  check: ItemSizeCheck,
  rejections: RejectionLog,
  logs: DecodedLogs['logs'],
): void {
  check.reset();
  const body: AttributeValue = isOversized(record.body, check, 'body', undefined) ? null : record.body;
  const attributes = toAttributes(record.attributes, check, 'attribute');
  const traceId = normalizeLogTraceId(record.traceId);
  const spanId = normalizeLogSpanId(record.spanId);
  let eventName = record.eventName;
  if (eventName === '') {
    const attributeEventName = attributes['event.name'];
    if (typeof attributeEventName === 'string') eventName = attributeEventName;
  }
  const problem = logIdsProblem(traceId, spanId) ?? check.problem();
  if (problem !== undefined) {
    const label = eventName === '' ? 'log record' : `log record "${eventName}"`;
    rejections.add(`${label} (${path}): ${problem}`);
    return;
  }
  logs.push({
    resource,
    scope,
    timeUnixNano: record.timeUnixNano,
    observedTimeUnixNano: record.observedTimeUnixNano,
    severityNumber: record.severityNumber,
    severityText: record.severityText,
    body,
    attributes,
    droppedAttributesCount: record.droppedAttributesCount,
    flags: record.flags,
    traceId,
    spanId,
    eventName,
  });
}
