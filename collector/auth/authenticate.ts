/**
 * The one authentication rule of every transport (OTLP/HTTP, the JSON API, OTLP/gRPC): without configured tokens
 * every request belongs to the default tenant; with them a request needs `Bearer <token>` naming a known token.
 * The answer is a discriminated union, so each transport maps it onto its own refusal (HTTP 401 with
 * WWW-Authenticate, gRPC UNAUTHENTICATED) and none of them parses the header itself.
 */
import { defaultTenant } from '../../src/model/tenant.ts';
import type { TenantTokens } from './tenant-tokens.ts';

export type Authentication =
  | { status: 'authenticated'; tenant: string }
  /** Tokens are configured and the request carries no credentials. */
  | { status: 'missing' }
  /** The credentials are not `Bearer <token>`, or the token is not a configured one. */
  | { status: 'invalid' };

const bearerPattern = /^Bearer\s+(\S+)\s*$/i;

export function authenticate(tokens: TenantTokens | undefined, authorization: string | undefined): Authentication {
  if (!tokens) return { status: 'authenticated', tenant: defaultTenant };
  if (authorization === undefined || authorization.trim() === '') return { status: 'missing' };
  const token = bearerPattern.exec(authorization)?.[1];
  const tenant = token === undefined ? undefined : tokens.tenantOf(token);
  return tenant === undefined ? { status: 'invalid' } : { status: 'authenticated', tenant };
}
