/**
 * `trajectories serve` refuses to listen beyond loopback without auth tokens, and says how to fix it both ways,
 * before it opens the store.
 */
import { describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../helpers/test-receiver.ts';
import { runCli } from './run-cli.ts';

describe('trajectories serve on a non-loopback host', () => {
  it('exits 1 without tokens, naming --auth-tokens / TRAJECTORIES_AUTH_TOKENS and --insecure', async () => {
    const { code, stderr } = await runCli(
      ['serve', '--host', '0.0.0.0', '--http-port', '0', '--grpc-port', '-1', '--data-dir', temporaryDirectory()],
      {},
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(/^trajectories: refusing to listen on 0\.0\.0\.0 without auth tokens/);
    expect(stderr).toContain('--auth-tokens');
    expect(stderr).toContain('TRAJECTORIES_AUTH_TOKENS');
    expect(stderr).toContain('--insecure');
  });

  it('rejects a token shorter than 8 characters with the rule, without printing the token', async () => {
    const { code, stderr } = await runCli(['serve', '--host', '0.0.0.0', '--data-dir', temporaryDirectory()], {
      env: { TRAJECTORIES_AUTH_TOKENS: 'short=team-a' },
    });
    expect(code).toBe(1);
    expect(stderr).toContain('a token of 5 characters: tokens are at least 8 visible ASCII characters with no spaces');
    expect(stderr).not.toContain('short');
  });
});
