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

async function handleRequest(options: HttpServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://receiver');
  try {
    const route = options.router.match(request.method ?? 'GET', url.pathname);
    let tenant = defaultTenant;
    if (options.tokens && !route.public) {
      const authenticated = options.tokens.tenantFor(request.headers.authorization);
      if (!authenticated) {
        request.resume();
        throw new HttpError(401, 'missing or invalid bearer token: send "Authorization: Bearer <token>"', {
          'WWW-Authenticate': 'Bearer realm="trajectories"',
        });
      }
      tenant = authenticated;
    }
    await route.handler({ request, response, url, params: route.params, tenant });
  } catch (error) {
    if (response.headersSent) {
      response.destroy(error as Error);
      return;
    }
    const httpError = error instanceof HttpError ? error : new HttpError(500, `internal error: ${(error as Error).message}`);
    if (!(error instanceof HttpError)) options.onError?.(error);
    if (url.pathname === '/v1/traces' || url.pathname === '/v1/logs') {
      const { contentType, body } = otlpErrorBody(request, httpError);
      sendBytes(response, httpError.status, contentType, body, httpError.headers);
    } else {
      sendJson(response, httpError.status, { error: httpError.message }, httpError.headers);
    }
  }
}
