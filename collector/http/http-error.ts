/**
 * An error that knows its HTTP response. Route handlers throw it; the server turns it into the status code,
 * headers and a body naming the problem (a google.rpc.Status for OTLP routes, `{ error }` JSON for the API).
 */
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
