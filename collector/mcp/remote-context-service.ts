/**
 * A ContextService answered by a receiver over its HTTP context routes: what `trajectories mcp` (stdio) serves its
 * tools from, since the store belongs to the receiver. Answers cross a process boundary, so they are validated
 * with the contract's response schemas; a 400 is the caller's bad input (ContextRequestError, with the receiver's
 * message naming the field), anything else an error naming the receiver and what it answered.
 */
import type { z } from 'zod';
import {
  ContextRequestError,
  examplesResponseSchema,
  failuresResponseSchema,
  predictResponseSchema,
  searchResponseSchema,
  toolsResponseSchema,
  type ContextService,
} from '../../src/context/context-api.ts';
import { describeIssue } from '../../src/trajectories/filters.ts';

export interface RemoteContextOptions {
  /** `http://host:port` of the receiver. */
  url: string;
  /** Bearer token (the tenant is the token's). */
  token?: string | undefined;
  /** Extra headers, e.g. from OTEL_EXPORTER_OTLP_HEADERS. */
  headers?: Record<string, string>;
  /** Longest wait for one answer. @default 30000 */
  timeoutMillis?: number;
}

/** A request as a query string: the contract's fields are scalars, and undefined ones are left out. */
function queryString(request: object): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(request)) if (value !== undefined) query.set(key, String(value));
  return query.toString();
}

function errorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // Not the API's JSON error: show the text itself.
  }
  return body.slice(0, 500);
}

export function createRemoteContextService(options: RemoteContextOptions): ContextService {
  const base = options.url.replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  const timeoutMillis = options.timeoutMillis ?? 30_000;

  async function call<T extends z.ZodType>(schema: T, path: string, body?: unknown): Promise<z.output<T>> {
    const method = body === undefined ? 'GET' : 'POST';
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        // The receiver takes state-changing requests only as JSON (a guard against cross-site form posts).
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMillis),
      });
    } catch (error) {
      const reason =
        (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMillis} ms` : (error as Error).message;
      throw new Error(
        `cannot reach the receiver at ${base}: ${reason}. Start it (trajectories serve) or pass --receiver <url>`,
        { cause: error },
      );
    }
    const text = await response.text();
    const route = `${method} ${path.split('?')[0]}`;
    if (response.status === 400) throw new ContextRequestError(errorMessage(text));
    if (response.status === 401)
      throw new Error(`the receiver at ${base} refused the token (401): pass --token or TRAJECTORIES_TOKEN`);
    if (!response.ok)
      throw new Error(`the receiver at ${base} answered ${response.status} to ${route}: ${errorMessage(text)}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`the receiver at ${base} answered ${route} with a body that is not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new Error(
        `the receiver at ${base} answered ${route} with an unexpected shape (${describeIssue(parsed.error)}); is it an older version?`,
      );
    return parsed.data;
  }

  return {
    search: (request) => call(searchResponseSchema, `/v1/context/search?${queryString(request)}`),
    examples: (request) => call(examplesResponseSchema, `/v1/context/examples?${queryString(request)}`),
    failures: (request) => call(failuresResponseSchema, `/v1/context/failures?${queryString(request)}`),
    tools: (request) => call(toolsResponseSchema, `/v1/context/tools?${queryString(request)}`),
    predict: (request) => call(predictResponseSchema, '/v1/context/predict', request),
  };
}
