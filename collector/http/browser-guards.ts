/**
 * Guards of the JSON API against the browser on a user's machine (docs/decisions/2026-12-02-api-host-and-content-type-checks.md):
 * - DNS rebinding: a page on `evil.example` whose name is made to resolve to 127.0.0.1 reaches the receiver with
 *   `Host: evil.example`, and the browser treats the answer as same-origin. The API answers only Host names the
 *   receiver was given (its listen host, the loopback names, `--allowed-hosts`).
 * - Cross-site simple requests: a page anywhere can POST a form or `text/plain` body without a CORS preflight. A
 *   state-changing API route accepts only `Content-Type: application/json`, which a cross-site page cannot send
 *   without a preflight the receiver never grants.
 * The OTLP ingest routes and the probes (`/healthz`, `/metrics`) are exempt: exporters and probes send whatever
 * Host they were configured with, and OTLP bodies are protobuf or JSON by their own rules.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.ts';

const loopbackNames = ['localhost', '127.0.0.1', '::1'];

/** `[::1]` and `::1` are one name; Host names compare case-insensitively. */
function normalizeName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
}

/** The Host names the API answers: the listen host (unless it is a wildcard), loopback, and `--allowed-hosts`. */
export function allowedHostNames(listenHost: string, allowedHosts: string | undefined): ReadonlySet<string> {
  const names = new Set(loopbackNames);
  const listen = normalizeName(listenHost);
  if (listen !== '0.0.0.0' && listen !== '::') names.add(listen);
  for (const name of (allowedHosts ?? '').split(',')) if (name.trim()) names.add(normalizeName(name));
  return names;
}

/** The name part of a Host header: `example.com:4318` -> `example.com`, `[::1]:4318` -> `::1`. */
export function hostName(hostHeader: string): string {
  const value = hostHeader.trim();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return normalizeName(end > 0 ? value.slice(0, end + 1) : value);
  }
  const colon = value.indexOf(':');
  return normalizeName(colon >= 0 ? value.slice(0, colon) : value);
}

export function checkHost(request: IncomingMessage, allowed: ReadonlySet<string>): void {
  const header = request.headers.host ?? '';
  if (allowed.has(hostName(header))) return;
  request.resume();
  throw new HttpError(
    421,
    `the API does not answer for Host ${JSON.stringify(header)} (a guard against DNS rebinding): call it by the receiver's own name, or add the name with --allowed-hosts / TRAJECTORIES_ALLOWED_HOSTS`,
  );
}

const stateChangingMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function checkJsonBody(request: IncomingMessage): void {
  if (!stateChangingMethods.has(request.method ?? 'GET')) return;
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/json') return;
  request.resume();
  throw new HttpError(
    415,
    `${request.method} on the API needs Content-Type: application/json (got ${JSON.stringify(request.headers['content-type'] ?? '')}); send a JSON body, {} when there is nothing to say`,
  );
}
