/**
 * Optional bearer-token authentication. Each token maps to a tenant; every row a request writes carries that
 * tenant and every read is scoped by it. Tokens are compared by their SHA-256 digest, so lookup time does not
 * depend on how much of a guessed token is right.
 *
 * Sources: a YAML/JSON file mapping token -> tenant (`--auth-tokens`), or inline `token=tenant,token2=tenant2`
 * (`TRAJECTORIES_AUTH_TOKENS`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

const tenantPattern = /^[A-Za-z0-9._-]{1,128}$/;
const tokensFileSchema = z.record(
  z.string().min(8, 'tokens must be at least 8 characters'),
  z.string().regex(tenantPattern, 'tenant names are 1-128 letters, digits, ".", "_" or "-"'),
);

export interface TenantTokens {
  /** The tenant of `token` (the part after `Bearer `, see authenticate.ts), undefined for an unknown token. */
  tenantOf(token: string): string | undefined;
  readonly count: number;
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function tenantTokens(mapping: Record<string, string>): TenantTokens {
  const parsed = tokensFileSchema.safeParse(mapping);
  if (!parsed.success) {
    throw new Error(
      `invalid auth tokens: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'tokens'}: ${issue.message}`).join('; ')}`,
    );
  }
  const byDigest = new Map(Object.entries(parsed.data).map(([token, tenant]) => [digest(token), tenant]));
  return {
    count: byDigest.size,
    tenantOf(token) {
      return byDigest.get(digest(token));
    },
  };
}

export function loadTenantTokensFile(path: string): TenantTokens {
  let content: unknown;
  try {
    content = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read auth tokens file ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (!content || typeof content !== 'object' || Array.isArray(content)) {
    throw new Error(`auth tokens file ${path} must map each token to its tenant, e.g. "s3cret-token: team-a"`);
  }
  return tenantTokens(Object.fromEntries(Object.entries(content).map(([token, tenant]) => [token, String(tenant)])));
}

export function parseInlineTenantTokens(value: string): TenantTokens {
  const mapping: Record<string, string> = {};
  for (const pair of value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const separator = pair.lastIndexOf('=');
    if (separator <= 0) throw new Error(`auth token entry ${JSON.stringify(pair)} must be token=tenant`);
    mapping[pair.slice(0, separator)] = pair.slice(separator + 1);
  }
  return tenantTokens(mapping);
}
