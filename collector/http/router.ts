/**
 * A small method + path router for the receiver's HTTP port. Paths are literal segments and `:name` parameters.
 * Each route carries its options: whether it answers without a token (`public`, health checks) and how its errors
 * are rendered (`renderError`). Every request resolves to a route: an unknown path to one whose handler answers
 * 404, a known path with the wrong method to one that answers 405 with `Allow` in that path's error format, so
 * the server treats every request alike (authenticate, run, render errors) and knows no path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, renderJsonError, type ErrorRenderer } from './http-error.ts';

export interface RequestContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** Set by the server after authentication. */
  tenant: string;
}

export type Handler = (context: RequestContext) => void | Promise<void>;

export interface RouteOptions {
  /** Answers without a token (health checks); the handler sees the default tenant. @default false */
  public?: boolean;
  /** Writes the body of this route's error responses. @default renderJsonError (`{ "error": message }`) */
  renderError?: ErrorRenderer;
  /**
   * Who calls it. `api` routes (the default) answer only known Host names and take only JSON bodies on
   * state-changing methods (browser-guards.ts); `exporter` (OTLP ingest) and `probe` (health, metrics) routes
   * answer any Host, since exporters and probes send whatever name they were configured with.
   */
  audience?: RouteAudience;
  /**
   * The header carrying the receiver's bearer token. The LLM proxy's routes use `x-trajectories-token`, because
   * `Authorization` carries the provider's API key through to the upstream. @default 'authorization'
   */
  tokenHeader?: string;
}

export type RouteAudience = 'api' | 'exporter' | 'probe';

export interface RouteMatch {
  handler: Handler;
  params: Record<string, string>;
  public: boolean;
  renderError: ErrorRenderer;
  audience: RouteAudience;
  tokenHeader: string;
  /** False for the 404/405 answers, so checks meant for a route's requests (content type) leave them alone. */
  found: boolean;
}

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
  public: boolean;
  renderError: ErrorRenderer;
  audience: RouteAudience;
  tokenHeader: string;
}

/** A handler that answers `error` after draining the body nobody will read. */
function refuse(error: HttpError): Handler {
  return ({ request }) => {
    request.resume();
    return Promise.reject(error);
  };
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: Handler, options: RouteOptions = {}): this {
    this.routes.push({
      method,
      segments: path.split('/').filter(Boolean),
      handler,
      public: options.public ?? false,
      renderError: options.renderError ?? renderJsonError,
      audience: options.audience ?? 'api',
      tokenHeader: options.tokenHeader ?? 'authorization',
    });
    return this;
  }

  match(method: string, pathname: string): RouteMatch {
    const segments = pathname.split('/').filter(Boolean);
    const samePath: Route[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
        const { handler, renderError, audience, tokenHeader } = route;
        return { handler, params, public: route.public, renderError, audience, tokenHeader, found: true };
      }
      samePath.push(route);
    }
    const [first] = samePath;
    if (first) {
      const allowed = samePath.map((route) => route.method).join(', ');
      const error = new HttpError(405, `${method} is not allowed on ${pathname}`, { Allow: allowed });
      return {
        handler: refuse(error),
        params: {},
        public: false,
        renderError: first.renderError,
        audience: first.audience,
        tokenHeader: first.tokenHeader,
        found: false,
      };
    }
    const error = new HttpError(404, `no route for ${method} ${pathname}`);
    return {
      handler: refuse(error),
      params: {},
      public: false,
      renderError: renderJsonError,
      audience: 'api',
      tokenHeader: 'authorization',
      found: false,
    };
  }
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < pattern.length; index++) {
    const expected = pattern[index] as string;
    const value = actual[index] as string;
    if (expected.startsWith(':')) {
      try {
        params[expected.slice(1)] = decodeURIComponent(value);
      } catch {
        return undefined;
      }
    } else if (expected !== value) {
      return undefined;
    }
  }
  return params;
}
