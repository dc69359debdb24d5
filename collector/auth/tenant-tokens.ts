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
/** What a `Bearer <token>` header can carry (authenticate.ts): visible ASCII, no spaces. */
const tokenPattern = /^[\x21-\x7e]{8,}$/;
export const tokenRule =
  'tokens are at least 8 visible ASCII characters with no spaces (and no "," in TRAJECTORIES_AUTH_TOKENS), e.g. from `openssl rand -hex 32`';
const tokensFileSchema = z.record(
  z.string().regex(tokenPattern, tokenRule),
  z.string().regex(tenantPattern, 'tenant names are 1-128 letters, digits, ".", "_" or "-"'),
);

/**
 * Issue text that names the rule and never the token (it is a secret, and this lands in logs): a bad key's own
 * message sits one level down, under "Invalid key in record", so the rule is spelled out here.
 */
function describeTokenIssue(issue: z.core.$ZodIssue, mapping: Record<string, string>): string {
  const token = String(issue.path[0] ?? '');
  if (issue.code === 'invalid_key') return `a token of ${token.length} characters: ${tokenRule}`;
  return `the tenant ${JSON.stringify(mapping[token] ?? '')} of a token: ${issue.message}`;
}

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
      `invalid auth tokens: ${parsed.error.issues.map((issue) => describeTokenIssue(issue, mapping)).join('; ')}`,
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
