/**
 * Builds the `spans` and `events` table rows (JSONEachRow objects) from decoded OTLP data plus what the
 * convention mappings derived. This runs on the ingest hot path once per span, so it builds each row in one pass.
 */
import { attributesToJson } from '../model/attribute-json.ts';
import type { OtlpLogRecord, OtlpSpan } from '../model/otlp.ts';
import type { SpanMapping } from '../model/span.ts';
import type { LogMapping } from '../conventions/log-mapping.ts';

const emptyArrayJson = '[]';

function jsonOrEmpty(value: unknown[] | undefined): string {
  return value && value.length > 0 ? JSON.stringify(value) : emptyArrayJson;
}

function serviceName(attributes: Record<string, unknown>): string {
  const name = attributes['service.name'];
  return typeof name === 'string' ? name : '';
}

export function spanRow(tenant: string, span: OtlpSpan, mapping: SpanMapping): Record<string, unknown> {
  const resourceAttributes = attributesToJson(span.resource.attributes);
  return {
    tenant,
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: span.parentSpanId,
    name: span.name,
    kind: mapping.kind ?? 'other',
    span_kind: span.kind,
    status: span.status.code,
    status_message: span.status.message,
    start_time_unix_nano: span.startTimeUnixNano.toString(),
    end_time_unix_nano: span.endTimeUnixNano.toString(),
    service_name: serviceName(resourceAttributes),
    scope_name: span.scope.name,
    scope_version: span.scope.version,
    convention: mapping.convention ?? 'none',
    operation: mapping.operation ?? '',
    provider: mapping.provider ?? '',
    model: mapping.model ?? mapping.response_model ?? '',
    response_model: mapping.response_model ?? '',
    response_id: mapping.response_id ?? '',
    finish_reasons: mapping.finish_reasons ?? [],
    input_tokens: mapping.input_tokens ?? null,
    output_tokens: mapping.output_tokens ?? null,
    cache_read_tokens: mapping.cache_read_tokens ?? null,
    cache_creation_tokens: mapping.cache_creation_tokens ?? null,
    reasoning_tokens: mapping.reasoning_tokens ?? null,
    input_messages: jsonOrEmpty(mapping.input_messages),
    output_messages: jsonOrEmpty(mapping.output_messages),
    tool_definitions: jsonOrEmpty(mapping.tool_definitions),
    tool_name: mapping.tool_name ?? '',
    tool_call_id: mapping.tool_call_id ?? '',
    tool_arguments: mapping.tool_arguments ?? '',
    tool_result: mapping.tool_result ?? '',
    agent_name: mapping.agent_name ?? '',
    agent_id: mapping.agent_id ?? '',
    conversation_id: mapping.conversation_id ?? '',
    task_id: mapping.task_id ?? '',
    task: mapping.task ?? '',
    rollout_id: mapping.rollout_id ?? '',
    attempt_id: mapping.attempt_id ?? '',
    rewards: (mapping.rewards ?? []).map((reward) => [reward.name, reward.value]),
    error_type: mapping.error_type ?? '',
    attributes: JSON.stringify(attributesToJson(span.attributes)),
    resource_attributes: JSON.stringify(resourceAttributes),
    events: JSON.stringify(
      span.events.map((event) => ({
        time_unix_nano: event.timeUnixNano.toString(),
        name: event.name,
        attributes: attributesToJson(event.attributes),
      })),
    ),
    links: JSON.stringify(
      span.links.map((link) => ({
        trace_id: link.traceId,
        span_id: link.spanId,
        trace_state: link.traceState,
        attributes: attributesToJson(link.attributes),
      })),
    ),
    trace_state: span.traceState,
    flags: span.flags,
  };
}

export function eventRow(tenant: string, record: OtlpLogRecord, mapping: LogMapping): Record<string, unknown> {
  const resourceAttributes = attributesToJson(record.resource.attributes);
  return {
    tenant,
    trace_id: record.traceId,
    span_id: record.spanId,
    time_unix_nano: (record.timeUnixNano || record.observedTimeUnixNano).toString(),
    observed_time_unix_nano: record.observedTimeUnixNano.toString(),
    event_name: mapping.event_name,
    severity_number: record.severityNumber,
    severity_text: record.severityText,
    body: JSON.stringify(attributesToJson({ body: record.body })['body'] ?? null),
    attributes: JSON.stringify(attributesToJson(record.attributes)),
    resource_attributes: JSON.stringify(resourceAttributes),
    service_name: serviceName(resourceAttributes),
    scope_name: record.scope.name,
    message: mapping.message ? JSON.stringify(mapping.message) : '',
    message_direction: mapping.message_direction ?? '',
    message_index: mapping.message_index ?? -1,
    evaluation_name: mapping.evaluation?.name ?? '',
    evaluation_score: mapping.evaluation?.score ?? null,
    evaluation_label: mapping.evaluation?.label ?? '',
    evaluation_explanation: mapping.evaluation?.explanation ?? '',
    operation_details: mapping.operation_details ? JSON.stringify(mapping.operation_details) : '',
  };
}
