/**
 * Builds the `spans` and `events` table rows (JSONEachRow objects) from decoded OTLP data plus what the
 * convention mappings derived. This runs on the ingest hot path once per span, so it builds each row in one pass.
 *
 * The JSON text columns (attributes, messages, events, ...) are given as objects and arrays, not as strings:
 * ClickHouse stores the raw JSON text of an object or array read into a String column
 * (input_format_json_read_objects_as_strings / _arrays_as_strings), which saves escaping every message twice.
 */
import { attributesToJson } from '../model/attribute-json.ts';
import type { OtlpLogRecord, OtlpSpan } from '../model/otlp.ts';
import type { Message } from '../model/message.ts';
import type { SpanMapping } from '../model/span.ts';
import type { LogMapping } from '../conventions/log-mapping.ts';

const noItems: unknown[] = [];

const maxFirstUserTextLength = 2000;

/** The first user message's text (text parts joined), which trajectory search matches tasks against. */
function firstUserText(messages: Message[] | undefined): string {
  const content = messages?.find((message) => message.role === 'user')?.content;
  if (typeof content === 'string') return content.slice(0, maxFirstUserTextLength);
  if (!Array.isArray(content)) return '';
  const text = content.map((part) => (typeof part['text'] === 'string' ? part['text'] : '')).join('');
  return text.slice(0, maxFirstUserTextLength);
}

/** Token counts land in UInt64 columns: anything but a non-negative integer is recorded as unknown. */
function tokenCount(value: number | undefined): number | null {
  return value !== undefined && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** Resource attributes are shared by every span of a request: convert them once per resource. */
const resourceJsonCache = new WeakMap<object, Record<string, unknown>>();

function resourceJson(attributes: OtlpSpan['resource']['attributes']): Record<string, unknown> {
  let json = resourceJsonCache.get(attributes);
  if (!json) {
    json = attributesToJson(attributes);
    resourceJsonCache.set(attributes, json);
  }
  return json;
}

function serviceName(attributes: Record<string, unknown>): string {
  const name = attributes['service.name'];
  return typeof name === 'string' ? name : '';
}

export function spanRow(tenant: string, span: OtlpSpan, mapping: SpanMapping): Record<string, unknown> {
  const resourceAttributes = resourceJson(span.resource.attributes);
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
    input_tokens: tokenCount(mapping.input_tokens),
    output_tokens: tokenCount(mapping.output_tokens),
    cache_read_tokens: tokenCount(mapping.cache_read_tokens),
    cache_creation_tokens: tokenCount(mapping.cache_creation_tokens),
    reasoning_tokens: tokenCount(mapping.reasoning_tokens),
    input_messages: mapping.input_messages ?? noItems,
    output_messages: mapping.output_messages ?? noItems,
    tool_definitions: mapping.tool_definitions ?? noItems,
    tool_name: mapping.tool_name ?? '',
    tool_call_id: mapping.tool_call_id ?? '',
    tool_arguments: mapping.tool_arguments ?? '',
    tool_result: mapping.tool_result ?? '',
    agent_name: mapping.agent_name ?? '',
    agent_id: mapping.agent_id ?? '',
    conversation_id: mapping.conversation_id ?? '',
    task_id: mapping.task_id ?? '',
    task: mapping.task ?? '',
    first_user_text: mapping.kind === 'llm' ? firstUserText(mapping.input_messages) : '',
    rollout_id: mapping.rollout_id ?? '',
    attempt_id: mapping.attempt_id ?? '',
    // Named tuples are objects in JSONEachRow (input_format_json_named_tuples_as_objects); arrays fail to parse.
    // A non-finite reward has no JSON form a Float64 column accepts; it would cost the whole request its rows.
    rewards: (mapping.rewards ?? []).filter((reward) => Number.isFinite(reward.value)).map((reward) => ({ name: reward.name, value: reward.value })),
    error_type: mapping.error_type ?? '',
    attributes: attributesToJson(span.attributes),
    resource_attributes: resourceAttributes,
    events: span.events.length === 0 ? noItems : span.events.map((event) => ({
      time_unix_nano: event.timeUnixNano.toString(),
      name: event.name,
      attributes: attributesToJson(event.attributes),
    })),
    links: span.links.length === 0 ? noItems : span.links.map((link) => ({
      trace_id: link.traceId,
      span_id: link.spanId,
      trace_state: link.traceState,
      attributes: attributesToJson(link.attributes),
    })),
    trace_state: span.traceState,
    flags: span.flags,
  };
}

export function eventRow(tenant: string, record: OtlpLogRecord, mapping: LogMapping): Record<string, unknown> {
  const resourceAttributes = resourceJson(record.resource.attributes);
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
    attributes: attributesToJson(record.attributes),
    resource_attributes: resourceAttributes,
    service_name: serviceName(resourceAttributes),
    scope_name: record.scope.name,
    message: mapping.message ?? '',
    message_direction: mapping.message_direction ?? '',
    message_index: mapping.message_index ?? -1,
    evaluation_name: mapping.evaluation?.name ?? '',
    evaluation_score: mapping.evaluation?.score ?? null,
    evaluation_label: mapping.evaluation?.label ?? '',
    evaluation_explanation: mapping.evaluation?.explanation ?? '',
    operation_details: mapping.operation_details ?? '',
  };
}
