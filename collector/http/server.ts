/**
 * The receiver's HTTP port: OTLP/HTTP ingest plus the JSON API, behind optional bearer-token auth. Handler
 * errors become responses here: OTLP paths answer with a google.rpc.Status body, API paths with `{ error }`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { TenantTokens } from '../auth/tenant-tokens.ts';
import { HttpError } from './http-error.ts';
import { otlpErrorBody } from './otlp-routes.ts';
import type { Router } from './router.ts';
import { sendBytes, sendJson } from './send.ts';

export const defaultTenant = 'default';

export interface HttpServerOptions {
  router: Router;
  tokens: TenantTokens | undefined;
  onError?: (error: unknown) => void;
}

export function createHttpServer(options: HttpServerOptions): Server {
  const server = createServer((request, response) => {
    void handleRequest(options, request, response);
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

function isClientAbort(error: unknown, request: IncomingMessage): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return request.socket.destroyed || code === 'ECONNRESET' || code === 'ECONNABORTED' || (error as Error).message === 'aborted';
}

async function handleRequest(options: HttpServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://receiver');
  try {
    let route: ReturnType<Router['match']> | undefined;
    let routingError: HttpError | undefined;
    try {
      route = options.router.match(request.method ?? 'GET', url.pathname);
    } catch (error) {
      routingError = error as HttpError;
    }
    let tenant = defaultTenant;
    // Authenticate before answering 404/405 too, so that callers without a token learn nothing about the routes.
    if (options.tokens && !route?.public) {
      const authenticated = options.tokens.tenantFor(request.headers.authorization);
      if (!authenticated) {
        request.resume();
        throw new HttpError(401, 'missing or invalid bearer token: send "Authorization: Bearer <token>"', {
          'WWW-Authenticate': 'Bearer realm="trajectories"',
        });
      }
      tenant = authenticated;
    }
    if (!route) {
      request.resume();
      throw routingError ?? new HttpError(404, `no route for ${request.method} ${url.pathname}`);
    }
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
    } else {
      // Internal details (ClickHouse messages, stack traces) go to the log, not to the client.
      options.onError?.(error);
      httpError = new HttpError(500, 'internal error; the receiver log has the details');
    }
    if (url.pathname === '/v1/traces' || url.pathname === '/v1/logs') {
      const { contentType, body } = otlpErrorBody(request, httpError);
      sendBytes(response, httpError.status, contentType, body, httpError.headers);
    } else {
      sendJson(response, httpError.status, { error: httpError.message }, httpError.headers);
    }
  }
}
