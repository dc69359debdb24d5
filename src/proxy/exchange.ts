/**
 * One proxied LLM call (the request the agent sent, the answer the upstream gave as far as it was captured) as
 * the attributes, name and status of an OpenTelemetry GenAI span, which the receiver then maps like any
 * instrumented call (`src/conventions/genai.ts`). Pure and total: `recordExchange` never throws, whatever the
 * bodies hold; what it cannot read it leaves out, and it always records the operation, the provider and, when
 * the request says, the model.
 *
 * Status. A 2xx answer whose response reached its end is `ok`. Everything else is `error` with `error.type`:
 * - the HTTP status as text (`'429'`, `'529'`) for a non-2xx answer, with the body's error message (OpenAI
 *   `{error: {message}}`, Anthropic `{type: 'error', error: {message}}`) as the status message;
 * - for no answer at all (status 0) or an answer cut short (a 2xx stream that stopped before its final event),
 *   the kind of `failure`: `timeout` (it mentions a timeout or that the upstream sent nothing), `client_aborted`
 *   (it mentions an abort), else `connection_error`; the failure text is the status message;
 * - the provider's own error code for an error reported inside a 2xx answer (a stream `error` event such as
 *   Anthropic's `overloaded_error`, a Responses `response.failed` with `server_error`; `error` when it names none);
 * - `invalid_response` for a complete 2xx answer that is neither the protocol's JSON nor its event stream;
 * - `incomplete_stream` for a complete 2xx stream that ended without its final event and without a failure.
 * A capture cut at its size limit (`truncated`) is not an error: the client received the whole answer. The record
 * holds what the prefix shows and `trajectories.proxy.response_truncated: true`.
 */
import { ownEntry } from '../conventions/attributes.ts';
import type { AttributeValue, Attributes } from '../model/otlp.ts';
import { anthropicMessagesReader } from './anthropic-messages-exchange.ts';
import { openAiChatReader } from './openai-chat-exchange.ts';
import { openAiCompletionsReader } from './openai-completions-exchange.ts';
import { openAiResponsesReader } from './openai-responses-exchange.ts';
import { errorAnswerMessage, type ProtocolReader, type ResponseReading } from './protocol-reader.ts';
import { parseServerSentEvents } from './server-sent-events.ts';
import { parseJsonBody, record } from './untrusted-values.ts';

export type ProxyProtocol = 'openai-chat' | 'openai-responses' | 'openai-completions' | 'anthropic-messages';

export interface ProxyExchange {
  protocol: ProxyProtocol;
  /** The request body as parsed JSON (undefined when it was not JSON). */
  request: unknown;
  /** Upstream HTTP status; 0 when no response arrived (upstream unreachable, timeout, client abort). */
  status: number;
  /** The response Content-Type header ('' when none). */
  contentType: string;
  /** The response body as text as far as it was captured (SSE text when streamed). */
  responseText: string;
  /** True when the capture stopped at its size limit, so responseText is a prefix. */
  truncated: boolean;
  /**
   * Why the exchange did not complete normally ('' when it did): e.g. 'client aborted', 'upstream timeout after
   * 60000 ms', an upstream connection error message.
   */
  failure: string;
}

export interface ExchangeRecord {
  /** Span name, GenAI style: `chat gpt-4o`, `text_completion gpt-3.5-turbo-instruct`, `chat claude-sonnet-4-5`. */
  name: string;
  attributes: Attributes;
  status: 'ok' | 'error';
  statusMessage: string;
}

const READERS: Readonly<Record<ProxyProtocol, ProtocolReader>> = {
  'openai-chat': openAiChatReader,
  'openai-responses': openAiResponsesReader,
  'openai-completions': openAiCompletionsReader,
  'anthropic-messages': anthropicMessagesReader,
};

const RESPONSE_TRUNCATED_ATTRIBUTE = 'trajectories.proxy.response_truncated';
/** Set only when recording itself failed (a bug): the message of what went wrong. */
const RECORDING_ERROR_ATTRIBUTE = 'trajectories.proxy.recording_error';

export function recordExchange(exchange: ProxyExchange): ExchangeRecord {
  try {
    return recordOrThrow(exchange);
  } catch (error) {
    // Only a bug gets here (or an exchange that is not one); the call was still made and must still be recorded.
    try {
      return fallbackRecord(exchange, error);
    } catch {
      const message = 'the exchange could not be read';
      return {
        name: 'chat',
        attributes: { 'gen_ai.operation.name': 'chat', [RECORDING_ERROR_ATTRIBUTE]: message },
        status: 'error',
        statusMessage: message,
      };
    }
  }
}

type Outcome =
  { attributes: Attributes; status: 'ok' } | { attributes: Attributes; status: 'error'; type: string; message: string };

function recordOrThrow(exchange: ProxyExchange): ExchangeRecord {
  const reader = ownEntry(READERS, String(exchange.protocol));
  if (reader === undefined) throw new Error(`unknown proxy protocol ${JSON.stringify(exchange.protocol)}`);
  const request = record(exchange.request);
  const attributes: Attributes = {
    'gen_ai.operation.name': reader.operation,
    'gen_ai.provider.name': reader.provider,
    ...(request === undefined ? {} : reader.readRequest(request)),
  };
  const outcome = readOutcome(reader, exchange);
  Object.assign(attributes, outcome.attributes);
  if (exchange.truncated) attributes[RESPONSE_TRUNCATED_ATTRIBUTE] = true;
  if (outcome.status === 'error') attributes['error.type'] = outcome.type;
  const wellFormed = wellFormedAttributes(attributes);
  return {
    name: spanName(reader.operation, wellFormed),
    attributes: wellFormed,
    status: outcome.status,
    statusMessage: outcome.status === 'error' ? outcome.message.toWellFormed() : '',
  };
}

function readOutcome(reader: ProtocolReader, exchange: ProxyExchange): Outcome {
  const { status, failure, truncated } = exchange;
  if (status === 0) return failed({}, failureType(failure), failure || 'no answer arrived from the upstream');
  if (status < 200 || status > 299) {
    const body = parseJsonBody(exchange.responseText);
    const message =
      (body.ok ? errorAnswerMessage(body.value) : plainTextMessage(exchange.responseText)) ??
      (failure || `the upstream answered HTTP ${status}`);
    return failed({}, String(status), message);
  }
  const read = readBody(reader, exchange);
  if (read === undefined) {
    if (failure !== '') return failed({}, failureType(failure), failure);
    if (truncated) return { attributes: {}, status: 'ok' };
    return failed({}, 'invalid_response', 'the upstream answered 2xx with a body that is not a response of its API');
  }
  const { reading, cut } = read;
  if (reading.error !== undefined) return failed(reading.attributes, reading.error.type, reading.error.message);
  if (!reading.ended) {
    if (failure !== '') return failed(reading.attributes, failureType(failure), failure);
    if (!cut) return failed(reading.attributes, 'incomplete_stream', 'the stream ended before its final event');
  }
  return { attributes: reading.attributes, status: 'ok' };
}

function failed(attributes: Attributes, type: string, message: string): Outcome {
  return { attributes, status: 'error', type, message };
}

/**
 * The answer's body read as its Content-Type says (an event stream, else JSON), then as the other format when
 * that finds nothing: some compatible servers mislabel one as the other. `cut` says the body was read only in
 * part (the capture's size limit, or the parser's event limit), so a missing end is no evidence of an error.
 */
function readBody(
  reader: ProtocolReader,
  exchange: ProxyExchange,
): { reading: ResponseReading; cut: boolean } | undefined {
  const text = exchange.responseText;
  const asStream = (): { reading: ResponseReading; cut: boolean } | undefined => {
    const stream = parseServerSentEvents(text, { complete: !exchange.truncated && exchange.failure === '' });
    if (stream.events.length === 0 && !stream.done) return undefined;
    return { reading: reader.readStream(stream), cut: exchange.truncated || stream.limited };
  };
  const asJson = (): { reading: ResponseReading; cut: boolean } | undefined => {
    const body = parseJsonBody(text);
    const object = body.ok ? record(body.value) : undefined;
    return object === undefined ? undefined : { reading: reader.readResponse(object), cut: exchange.truncated };
  };
  const declaredStream =
    /text\/event-stream/i.test(exchange.contentType) || (exchange.contentType === '' && /^\s*(data|event):/.test(text));
  return declaredStream
    ? (asStream() ?? asJson())
    : (asJson() ?? (/^(data|event):/m.test(text) ? asStream() : undefined));
}

/** The kind of a failure, from its text (see the module comment). */
function failureType(failure: string): string {
  if (/abort/i.test(failure)) return 'client_aborted';
  if (/timed?[ -]?out|sent nothing/i.test(failure)) return 'timeout';
  return 'connection_error';
}

/** A short plain-text error body (a gateway's `Bad Gateway`), but not an HTML page. */
function plainTextMessage(body: string): string | undefined {
  const trimmed = body.trim();
  return trimmed !== '' && trimmed.length <= 500 && !trimmed.startsWith('<') ? trimmed : undefined;
}

function spanName(operation: string, attributes: Attributes): string {
  const model = attributes['gen_ai.request.model'] ?? attributes['gen_ai.response.model'];
  return typeof model === 'string' && model !== '' ? `${operation} ${model}` : operation;
}

/**
 * Text attributes made well-formed: a JSON escape in a body can spell a lone surrogate, which ClickHouse refuses
 * (JSON text attributes are safe already: JSON.stringify escapes lone surrogates).
 */
function wellFormedAttributes(attributes: Attributes): Attributes {
  const result: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) result[key] = wellFormedValue(value);
  return result;
}

function wellFormedValue(value: AttributeValue): AttributeValue {
  if (typeof value === 'string') return value.toWellFormed();
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? item.toWellFormed() : item));
  return value;
}

/** What is certain about a call whose recording failed: protocol, model, and the HTTP outcome. */
function fallbackRecord(exchange: ProxyExchange, error: unknown): ExchangeRecord {
  const reader = ownEntry(READERS, String(exchange.protocol));
  const operation = reader?.operation ?? 'chat';
  const attributes: Attributes = {
    'gen_ai.operation.name': operation,
    [RECORDING_ERROR_ATTRIBUTE]: (error instanceof Error ? error.message : 'unknown error').toWellFormed(),
  };
  if (reader !== undefined) attributes['gen_ai.provider.name'] = reader.provider;
  const model = record(exchange.request)?.['model'];
  if (typeof model === 'string' && model !== '') attributes['gen_ai.request.model'] = model.toWellFormed();
  const status = typeof exchange.status === 'number' ? exchange.status : 0;
  const failure = typeof exchange.failure === 'string' ? exchange.failure : '';
  const answered = status >= 200 && status <= 299;
  const ok = answered && failure === '';
  if (!ok) attributes['error.type'] = status === 0 || answered ? failureType(failure) : String(status);
  return {
    name: spanName(operation, attributes),
    attributes,
    status: ok ? 'ok' : 'error',
    statusMessage: ok ? '' : (failure || `the upstream answered HTTP ${status}`).toWellFormed(),
  };
}
