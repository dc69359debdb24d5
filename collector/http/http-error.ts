/**
 * An error that knows its HTTP response: status, headers and message. Route handlers throw it, and so do the
 * router (404, 405) and the server (401) on a route's behalf; the server renders every one the same way, with the
 * body format of the route it happened on (`renderError`, see router.ts): a google.rpc.Status on the OTLP routes,
 * `{ "error": message }` JSON everywhere else.
 */
import type { IncomingMessage } from 'node:http';

export class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }
}

export interface ErrorBody {
  contentType: string;
  body: Uint8Array | string;
}

/** Writes the body of an error response in a route's format; the request says which encoding the client reads. */
export type ErrorRenderer = (error: HttpError, request: IncomingMessage) => ErrorBody;

/** The JSON API's error body. */
export const renderJsonError: ErrorRenderer = (error) => ({
  contentType: 'application/json',
  body: JSON.stringify({ error: error.message }),
});
