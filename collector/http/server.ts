/**
 * The receiver's HTTP port: OTLP/HTTP ingest plus the JSON API, behind optional bearer-token auth. It knows no
 * path: the router resolves every request to a route (404 and 405 included), the server authenticates unless the
 * route is public, runs the handler, and renders whatever HttpError it throws with that route's `renderError`.
 * A store that is unavailable (`StoreError`) answers 503 with Retry-After; any other error is a bug: both go to
 * the log, and the client gets a stable message, never ClickHouse's text.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { defaultTenant } from '../../src/model/tenant.ts';
import { StoreError } from '../../src/store/store-error.ts';
import { authenticate } from '../auth/authenticate.ts';
import type { TenantTokens } from '../auth/tenant-tokens.ts';
import { checkHost, checkJsonBody } from './browser-guards.ts';
import { HttpError } from './http-error.ts';
import type { Router } from './router.ts';
import { sendBytes } from './send.ts';

export interface HttpServerOptions {
  router: Router;
  tokens: TenantTokens | undefined;
  onError?: (error: unknown) => void;
  /** Host names the API routes answer (browser-guards.ts `allowedHostNames`). @default the loopback names */
  allowedHosts?: ReadonlySet<string>;
  /** Longest time from a connection's (or request's) first byte to the end of its headers (408 after). */
  headersTimeoutMillis?: number;
  /** Longest time to receive a whole request, headers and body (408 after). */
  requestTimeoutMillis?: number;
  /** Open connections above which new ones are closed on accept. */
  maxConnections?: number;
}

/** Request line and headers at most (431 beyond); room for a context task text in any script plus the usual headers. */
export const maxHeaderBytes = 32 * 1024;

const loopbackHosts: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '::1']);

export function createHttpServer(options: HttpServerOptions): Server {
  const headersTimeout = options.headersTimeoutMillis ?? 10_000;
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: options.requestTimeoutMillis ?? 120_000,
      // Node checks both timeouts on this interval (30 s by default), which would let a 10 s header timeout run
      // to 40 s; a one-second sweep over the open connections is cheap.
      connectionsCheckingInterval: Math.min(1000, headersTimeout),
      // A context query string carries a task of up to 2,000 characters, which percent-encoded in a non-Latin
      // script is up to 18 KB: over Node's 16 KiB default, such a GET would answer 431 to input the schema accepts.
      maxHeaderSize: maxHeaderBytes,
    },
    (request, response) => {
      void handleRequest(options, request, response);
    },
  );
  server.keepAliveTimeout = 65_000;
  // Every connection holds a socket and parser state whether or not it sends anything; the timeouts bound how
  // long it can, this bounds how many.
  server.maxConnections = options.maxConnections ?? 1024;
  return server;
}

function isClientAbort(error: unknown, request: IncomingMessage): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return (
    request.socket.destroyed ||
    code === 'ECONNRESET' ||
    code === 'ECONNABORTED' ||
    (error as Error).message === 'aborted'
  );
}

const unauthenticatedMessages = {
  missing: 'missing bearer token: send "Authorization: Bearer <token>"',
  invalid: 'invalid bearer token: send "Authorization: Bearer <token>" with a token the receiver was given',
} as const;

/** The caller's tenant, or the 401 that refuses it. `header` carries the token, as `Bearer <token>` or bare. */
function tenantOf(tokens: TenantTokens | undefined, request: IncomingMessage, header: string): string {
  const value = request.headers[header];
  const text = Array.isArray(value) ? value[0] : value;
  const credential =
    header === 'authorization' || text === undefined || /^bearer\s/i.test(text) ? text : `Bearer ${text}`;
  const authentication = authenticate(tokens, credential);
  if (authentication.status === 'authenticated') return authentication.tenant;
  request.resume();
  const message = unauthenticatedMessages[authentication.status];
  throw new HttpError(
    401,
    header === 'authorization' ? message : message.replace('"Authorization: Bearer <token>"', `"${header}: <token>"`),
    {
      'WWW-Authenticate': 'Bearer realm="trajectories"',
    },
  );
}

async function handleRequest(
  options: HttpServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://receiver');
  const route = options.router.match(request.method ?? 'GET', url.pathname);
  // Every answer, errors included: a browser must never guess a JSON or protobuf body to be HTML.
  response.setHeader('X-Content-Type-Options', 'nosniff');
  try {
    if (route.audience === 'api') checkHost(request, options.allowedHosts ?? loopbackHosts);
    // Unknown routes authenticate too (their handler answers 404/405), so callers without a token learn nothing
    // about the route table.
    const tenant = route.public ? defaultTenant : tenantOf(options.tokens, request, route.tokenHeader);
    if (route.audience === 'api' && route.found) checkJsonBody(request);
    await route.handler({ request, response, url, params: route.params, tenant });
  } catch (error) {
    if (response.headersSent || isClientAbort(error, request)) {
      // The client went away mid-request: nothing was acknowledged and there is no one to answer.
      if (!response.headersSent) response.destroy();
      return;
    }
    let httpError: HttpError;
    if (error instanceof HttpError) {
      httpError = error;
    } else if (error instanceof StoreError && error.kind === 'unavailable') {
      // The store is down or overloaded: the client may retry; the detail (ClickHouse's text) goes to the log.
      options.onError?.(error);
      httpError = new HttpError(503, 'the store is unavailable; retry later', { 'Retry-After': '5' });
    } else {
      // Internal details (ClickHouse messages, stack traces) go to the log, not to the client.
      options.onError?.(error);
      httpError = new HttpError(500, 'internal error; the receiver log has the details');
    }
    const { contentType, body } = route.renderError(httpError, request);
    sendBytes(response, httpError.status, contentType, body, httpError.headers);
  }
}
