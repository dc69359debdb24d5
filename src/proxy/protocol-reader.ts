/**
 * What each protocol module provides to `recordExchange`: the operation and provider it records, and three pure
 * readers (the request, a JSON response body, a streamed response's events) that turn untrusted bodies into GenAI
 * span attributes. A reader never throws and never decides the span's status on its own; it says whether the
 * response reached its end and which error, if any, the provider reported inside a 2xx response, and
 * `recordExchange` combines that with the HTTP status and the capture's state. Also here: the error envelopes both
 * providers (and the OpenAI-compatible servers behind the same protocols) answer with.
 */
import { z } from 'zod';
import type { Attributes } from '../model/otlp.ts';
import type { ParsedEventStream } from './server-sent-events.ts';

export interface ProviderError {
  /** Low-cardinality: the provider's error code or type (`overloaded_error`, `server_error`). */
  type: string;
  message: string;
}

export interface ResponseReading {
  attributes: Attributes;
  /**
   * The response reached its end: a complete body, or the stream's terminal event (`[DONE]` or a finish reason,
   * `response.completed` / `.incomplete` / `.failed`, `message_stop`).
   */
  ended: boolean;
  /** An error the provider reported inside a 2xx response (a stream `error` event, `response.failed`). */
  error?: ProviderError;
}

export interface ProtocolReader {
  operation: 'chat' | 'text_completion';
  provider: 'openai' | 'anthropic';
  /** Model, parameters, input messages, system instructions and tool definitions of the request. */
  readRequest(request: Record<string, unknown>): Attributes;
  /** A non-streamed 2xx response body. */
  readResponse(body: Record<string, unknown>): ResponseReading;
  /** A streamed 2xx response (server-sent events). */
  readStream(stream: ParsedEventStream): ResponseReading;
}

/** Empty strings read as absent, so a message always says something. */
const optionalText = z.string().min(1).optional().catch(undefined);
const errorObject = z.looseObject({
  message: optionalText,
  type: optionalText,
  code: z
    .union([z.string().min(1), z.number().transform(String)])
    .optional()
    .catch(undefined),
});
/**
 * OpenAI `{error: {message, type, code}}`, Anthropic `{type: 'error', error: {type, message}}`, and what
 * OpenAI-compatible servers and gateways send instead: `{error: 'text'}`, `{message}`, FastAPI's `{detail}`.
 */
const errorEnvelope = z.looseObject({
  error: z
    .union([z.string().min(1), errorObject])
    .optional()
    .catch(undefined),
  message: optionalText,
  detail: optionalText,
});

/** The error a body (a 2xx body or a stream event) carries in an `error` field, when it carries one. */
export function providerError(body: unknown): ProviderError | undefined {
  const parsed = errorEnvelope.safeParse(body);
  if (!parsed.success) return undefined;
  const error = parsed.data.error;
  if (typeof error === 'string') return { type: 'error', message: error };
  if (error === undefined || (error.message ?? error.type ?? error.code) === undefined) return undefined;
  return { type: error.code ?? error.type ?? 'error', message: error.message ?? error.type ?? error.code ?? '' };
}

/** The message of an error answer's body (any status): its `error`, else a top-level `message` or `detail`. */
export function errorAnswerMessage(body: unknown): string | undefined {
  const error = providerError(body);
  if (error !== undefined) return error.message;
  const parsed = errorEnvelope.safeParse(body);
  return parsed.success ? (parsed.data.message ?? parsed.data.detail) : undefined;
}
