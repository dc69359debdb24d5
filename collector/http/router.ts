/**
 * A small method + path router for the receiver's HTTP port. Paths are literal segments and `:name`
 * parameters; a known path with the wrong method answers 405 with `Allow`, an unknown one 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http-error.ts';

export interface RequestContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** Set by the server after authentication. */
  tenant: string;
}

export type Handler = (context: RequestContext) => Promise<void>;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
  /** Routes that answer without a token (health checks). */
  public: boolean;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: Handler, options: { public?: boolean } = {}): this {
    this.routes.push({ method, segments: path.split('/').filter(Boolean), handler, public: options.public ?? false });
    return this;
  }

  match(method: string, pathname: string): { handler: Handler; params: Record<string, string>; public: boolean } {
    const segments = pathname.split('/').filter(Boolean);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
        return { handler: route.handler, params, public: route.public };
      }
      allowed.push(route.method);
    }
    if (allowed.length > 0) throw new HttpError(405, `${method} is not allowed on ${pathname}`, { Allow: allowed.join(', ') });
    throw new HttpError(404, `no route for ${method} ${pathname}`);
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
