/**
 * Builds the `spans` and `events` table rows (JSONEachRow objects) from decoded OTLP data plus what the
 * convention mappings derived. This runs on the ingest hot path once per span, so it builds each row in one pass.
 *
 * The JSON text columns (attributes, messages, events, ...) are given as objects and arrays, not as strings:
 * ClickHouse stores the raw JSON text of an object or array read into a String column
 * (input_format_json_read_objects_as_strings / _arrays_as_strings), which saves escaping every message twice.
 *
 * `SpanRow` is the one place the columns of `spans` are typed. Readers derive their row types from it
 * (`Pick<SpanRow, ...>` for columns that read back as written, `SpanColumns<...>` for those that read back in
 * another shape), so renaming a column here fails the type check wherever it is read; test/store/span-row.test.ts
 * checks its keys against `DESCRIBE TABLE spans`, so the type and the SQL cannot drift apart either.
 */
import { attributesToJson } from '../model/attribute-json.ts';
import {
  minReferencedAttributeLength,
  referenceLongAttributes,
  type AttributeRef,
  type ContentCollector,
} from './content-refs.ts';
import type { OtlpLogRecord, OtlpSpan, OtlpSpanKind } from '../model/otlp.ts';
import type { Message } from '../model/message.ts';
import type { CanonicalSpan, SpanMapping } from '../model/span.ts';
import type { LogMapping } from '../conventions/log-mapping.ts';

/**
 * One row of the `spans` table as inserted: column name -> the JSONEachRow value written into it. It is the
 * canonical span the API serves (src/model/span.ts) plus the columns only the store needs. Nanosecond times are
 * decimal strings (a JS number cannot hold them); the JSON text columns (messages, tool definitions, attributes,
 * events, links) are written as JSON arrays and objects and stored (and read back) as their text; `rewards` is an
 * Array(Tuple(name, value)), whose named tuples are objects in JSONEachRow; token counts are Nullable(UInt64).
 */
export interface SpanRow extends Omit<CanonicalSpan, 'span_kind'> {
  span_kind: OtlpSpanKind;
  // input_messages, output_messages and tool_definitions are empty when the row refers to them in `contents`.
  /** Hashes (in `contents`) of the canonical input messages, in order; empty when they are inline. */
  input_message_refs: string[];
  output_message_refs: string[];
  /** Hash of the tool definitions' JSON text; empty when inline. */
  tool_definitions_ref: string;
  /** Hash of the tool result when it is long enough to store once (then `tool_result` is empty). */
  tool_result_ref: string;
  /** The long attribute values moved to `contents` (`attributes` holds the rest). */
  attribute_refs: AttributeRef[];
  /** Text of the first user message of an LLM call's input (at most 2000 characters), for trajectory search. */
  first_user_text: string;
  trace_state: string;
  flags: number;
}

/**
 * Columns of `spans` typed as a reader receives them when that differs from the inserted value (a JSON text
 * column reads as `string`, a UInt64 as `number | string`). Only real column names are accepted.
 */
export type SpanColumns<Column extends keyof SpanRow, Type> = { [Name in Column]: Type };

/** `satisfies` ties the runtime list to the type both ways: a column missing here, or one too many, fails to compile. */
const spanColumnSet = {
  tenant: true,
  trace_id: true,
  span_id: true,
  parent_span_id: true,
  name: true,
  kind: true,
  span_kind: true,
  status: true,
  status_message: true,
  start_time_unix_nano: true,
  end_time_unix_nano: true,
  service_name: true,
  scope_name: true,
  scope_version: true,
  convention: true,
  operation: true,
  provider: true,
  model: true,
  response_model: true,
  response_id: true,
  finish_reasons: true,
  input_tokens: true,
  output_tokens: true,
  cache_read_tokens: true,
  cache_creation_tokens: true,
  reasoning_tokens: true,
  input_messages: true,
  output_messages: true,
  tool_definitions: true,
  input_message_refs: true,
  output_message_refs: true,
  tool_definitions_ref: true,
  tool_result_ref: true,
  attribute_refs: true,
  tool_name: true,
  tool_call_id: true,
  tool_arguments: true,
  tool_result: true,
  agent_name: true,
  agent_id: true,
  conversation_id: true,
  task_id: true,
  task: true,
  first_user_text: true,
  rollout_id: true,
  attempt_id: true,
  rewards: true,
  error_type: true,
  attributes: true,
  resource_attributes: true,
  events: true,
  links: true,
  trace_state: true,
  flags: true,
} satisfies Record<keyof SpanRow, true>;

/** The columns every inserted span row fills, as a runtime list. */
export const spanColumns = Object.keys(spanColumnSet) as Array<keyof SpanRow>;

/** Insertable columns a row leaves to their DEFAULT: when the span arrived is the store's clock, not the client's. */
export const spanColumnsFilledByStore = ['ingested_at'] as const;

const noItems: never[] = [];

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

const noRefs: never[] = [];

/**
 * A list of canonical messages (or tool definitions) as refs into `contents`: each element's JSON text once per
 * trace. Undefined when the list is empty or an element cannot round-trip through ClickHouse exactly (not
 * well-formed UTF-16), in which case the list stays inline.
 */
function listRefs(items: readonly unknown[] | undefined, contents: ContentCollector | undefined): string[] | undefined {
  if (!contents || !items || items.length === 0) return undefined;
  const texts = items.map((item) => JSON.stringify(item));
  if (!texts.every((text) => typeof text === 'string' && text.isWellFormed())) return undefined;
  return texts.map((text) => contents.add(text));
}

function wholeRef(items: readonly unknown[] | undefined, contents: ContentCollector | undefined): string | undefined {
  if (!contents || !items || items.length === 0) return undefined;
  const text = JSON.stringify(items);
  return text.isWellFormed() ? contents.add(text) : undefined;
}

/** A long text stored once: a tool result shares the content of the attribute that carried it. */
function textRef(text: string | undefined, contents: ContentCollector | undefined): string | undefined {
  if (!contents || text === undefined || text.length < minReferencedAttributeLength || !text.isWellFormed()) {
    return undefined;
  }
  return contents.add(text);
}

/**
 * The span's row. With `contents`, message lists, tool definitions and long attribute values go to the trace's
 * contents (stored once per trace) and the row holds their hashes; without it everything is inline.
 */
export function spanRow(tenant: string, span: OtlpSpan, mapping: SpanMapping, contents?: ContentCollector): SpanRow {
  const resourceAttributes = resourceJson(span.resource.attributes);
  contents?.forTrace(span.traceId);
  const inputRefs = listRefs(mapping.input_messages, contents);
  const outputRefs = listRefs(mapping.output_messages, contents);
  const toolDefinitionsRef = wholeRef(mapping.tool_definitions, contents);
  const toolResultRef = textRef(mapping.tool_result, contents);
  const attributes = attributesToJson(span.attributes);
  const { inline, refs } = contents
    ? referenceLongAttributes(attributes, contents)
    : { inline: attributes, refs: noRefs };
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
    input_messages: inputRefs ? noItems : (mapping.input_messages ?? noItems),
    output_messages: outputRefs ? noItems : (mapping.output_messages ?? noItems),
    tool_definitions: toolDefinitionsRef ? noItems : (mapping.tool_definitions ?? noItems),
    input_message_refs: inputRefs ?? noRefs,
    output_message_refs: outputRefs ?? noRefs,
    tool_definitions_ref: toolDefinitionsRef ?? '',
    attribute_refs: refs,
    tool_name: mapping.tool_name ?? '',
    tool_call_id: mapping.tool_call_id ?? '',
    tool_arguments: mapping.tool_arguments ?? '',
    tool_result: toolResultRef ? '' : (mapping.tool_result ?? ''),
    tool_result_ref: toolResultRef ?? '',
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
    rewards: (mapping.rewards ?? [])
      .filter((reward) => Number.isFinite(reward.value))
      .map((reward) => ({ name: reward.name, value: reward.value })),
    error_type: mapping.error_type ?? '',
    attributes: inline,
    resource_attributes: resourceAttributes,
    events:
      span.events.length === 0
        ? noItems
        : span.events.map((event) => ({
            time_unix_nano: event.timeUnixNano.toString(),
            name: event.name,
            attributes: attributesToJson(event.attributes),
          })),
    links:
      span.links.length === 0
        ? noItems
        : span.links.map((link) => ({
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
