/**
 * A receiver without auth tokens lets whoever reaches it write spans into tenant `default` and read every
 * trajectory back. On a loopback address that is the local user; on any other interface it is the network. So
 * a non-loopback host without tokens is refused unless the operator says `--insecure`
 * (docs/decisions/2026-12-02-api-host-and-content-type-checks.md).
 */
import { isIP } from 'node:net';

export function isLoopbackHost(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name === '::1') return true;
  const v4 = name.startsWith('::ffff:') ? name.slice('::ffff:'.length) : name;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

export function checkOpenReceiver(options: { host: string; hasTokens: boolean; insecure: boolean }): void {
  if (options.hasTokens || options.insecure || isLoopbackHost(options.host)) return;
  throw new Error(
    `refusing to listen on ${options.host} without auth tokens: anyone who can reach it could write spans and read every trajectory. ` +
      'Give tokens (--auth-tokens FILE or TRAJECTORIES_AUTH_TOKENS="token=tenant"; tokens are at least 8 characters), ' +
      'or pass --insecure (TRAJECTORIES_INSECURE=true) to run it open on purpose',
  );
}
