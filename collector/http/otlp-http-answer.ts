/**
 * How OTLP/HTTP answers each export outcome, per the OTLP specification: 200 with the Export*ServiceResponse
 * (partial success included), 400 for undecodable data (clients do not retry it), 413 and 415 for size and
 * encoding, 408 (closing the connection) for a body that stopped arriving, 429 and 503 with Retry-After when the
 * receiver or its store cannot take more. Every error body is a
 * google.rpc.Status in the request's encoding, whose code is the gRPC code the specification pairs with the HTTP
 * status. Pure functions, so the table is testable without a server.
 */
import type { IncomingMessage } from 'node:http';
import { encodeStatus, type OtlpEncoding } from '../otlp/index.ts';
import type { ExportOutcome } from '../otlp-export/export-outcome.ts';
import type { ErrorRenderer, HttpError } from './http-error.ts';
import { otlpContentTypes, otlpEncodingOf } from './otlp-content-type.ts';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  contentType: string;
  body: Uint8Array | string;
}

/** The gRPC status code the OTLP specification pairs with each HTTP status, for the Status body. */
export function grpcCodeForHttp(status: number): number {
  switch (status) {
    case 400:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 408:
      return 4; // DEADLINE_EXCEEDED
    case 404:
      return 5; // NOT_FOUND
    case 413:
      return 8; // RESOURCE_EXHAUSTED
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 503:
      return 14; // UNAVAILABLE
    default:
      return status >= 500 ? 13 : 3; // INTERNAL / INVALID_ARGUMENT
  }
}

function statusAnswer(
  status: number,
  message: string,
  encoding: OtlpEncoding,
  headers: Record<string, string> = {},
): HttpAnswer {
  return {
    status,
    headers,
    contentType: otlpContentTypes[encoding],
    body: encodeStatus(encoding, { code: grpcCodeForHttp(status), message }),
  };
}

/** Retry-After takes whole seconds. */
function retryAfter(seconds: number): Record<string, string> {
  return { 'Retry-After': String(Math.max(1, Math.ceil(seconds))) };
}

export function otlpHttpAnswer(outcome: ExportOutcome, encoding: OtlpEncoding): HttpAnswer {
  switch (outcome.status) {
    case 'accepted':
      return { status: 200, headers: {}, contentType: otlpContentTypes[encoding], body: outcome.response };
    case 'invalid':
      return statusAnswer(400, `cannot decode OTLP ${encoding} body: ${outcome.message}`, encoding);
    case 'too_large':
      return statusAnswer(413, outcome.message, encoding);
    case 'unsupported':
      return statusAnswer(415, outcome.message, encoding);
    case 'timeout':
      // The rest of the body may still trickle in: the connection cannot carry another request.
      return statusAnswer(408, outcome.message, encoding, { Connection: 'close' });
    case 'overloaded':
      return statusAnswer(429, outcome.message, encoding, retryAfter(outcome.retryAfterSeconds));
    case 'unavailable':
      return statusAnswer(503, outcome.message, encoding, retryAfter(outcome.retryAfterSeconds));
  }
}

/**
 * The OTLP routes' error renderer, for the errors raised on their behalf (401, 405, 500): a google.rpc.Status in
 * the request's encoding, JSON when the Content-Type is not an OTLP one.
 */
export const renderOtlpError: ErrorRenderer = (error: HttpError, request: IncomingMessage) => {
  const encoding = otlpEncodingOf(request) ?? 'json';
  return {
    contentType: otlpContentTypes[encoding],
    body: encodeStatus(encoding, { code: grpcCodeForHttp(error.status), message: error.message }),
  };
};
