import { describe, expect, it } from 'vitest';
import { authenticate } from '../../collector/auth/authenticate.ts';
import { tenantTokens } from '../../collector/auth/tenant-tokens.ts';
import { defaultTenant } from '../../src/model/tenant.ts';

const tokens = tenantTokens({ 'token-for-team-a': 'team-a', 'token-for-team-b': 'team-b' });

describe('authenticate', () => {
  it('puts every request in the default tenant when no tokens are configured, whatever it sends', () => {
    expect(defaultTenant).toBe('default');
    expect(authenticate(undefined, undefined)).toEqual({ status: 'authenticated', tenant: 'default' });
    expect(authenticate(undefined, 'Bearer token-for-team-a')).toEqual({ status: 'authenticated', tenant: 'default' });
  });

  it("answers a known bearer token with its tenant, the scheme's case and surrounding blanks aside", () => {
    expect(authenticate(tokens, 'Bearer token-for-team-a')).toEqual({ status: 'authenticated', tenant: 'team-a' });
    expect(authenticate(tokens, 'bearer   token-for-team-b  ')).toEqual({ status: 'authenticated', tenant: 'team-b' });
  });

  it('calls a request without credentials missing', () => {
    expect(authenticate(tokens, undefined)).toEqual({ status: 'missing' });
    expect(authenticate(tokens, '')).toEqual({ status: 'missing' });
    expect(authenticate(tokens, '   ')).toEqual({ status: 'missing' });
  });

  it('calls an unknown token, another scheme or a malformed header invalid', () => {
    expect(authenticate(tokens, 'Bearer token-for-team-c')).toEqual({ status: 'invalid' });
    expect(authenticate(tokens, 'Basic dG9rZW4tZm9yLXRlYW0tYQ==')).toEqual({ status: 'invalid' });
    expect(authenticate(tokens, 'token-for-team-a')).toEqual({ status: 'invalid' });
    expect(authenticate(tokens, 'Bearer')).toEqual({ status: 'invalid' });
    expect(authenticate(tokens, 'Bearer token-for-team-a extra')).toEqual({ status: 'invalid' });
  });
});
