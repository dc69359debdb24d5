/**
 * `trajectories serve` as a user runs it (bin/trajectories.mjs in a child process): its help is generated from
 * the receiver's option table, a bad value fails before anything starts and names where it came from, and a flag
 * beats the environment, which beats the default.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { receiverOptions } from '../../collector/config.ts';
import { defaultText, flagName, type OptionDefinition } from '../../src/config/option-definition.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';
import { runCli, startServe } from './run-cli.ts';

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

async function readyLine(args: string[], options: { env?: Record<string, string>; cwd?: string }): Promise<string> {
  const serve = await startServe(['--http-port', '0', '--grpc-port', '-1', '--wal-sync', 'none', ...args], options);
  stops.push(() => serve.stop());
  return serve.ready.split('\n')[0] ?? '';
}

describe('trajectories serve configuration', () => {
  it('help shows every option with its environment variables and default, from the receiver table', async () => {
    const { code, stdout } = await runCli(['serve', '--help']);
    expect(code).toBe(0);
    const help = stdout.replace(/\s+/g, ' ');
    expect(help).toContain(
      '--http-port <port> OTLP/HTTP and JSON API port (0 picks a free one) [env: TRAJECTORIES_HTTP_PORT] [default: 4318]',
    );
    expect(help).toContain('[env: TRAJECTORIES_CLICKHOUSE_URL, CLICKHOUSE_URL]');
    const environmentOnly = help.slice(help.indexOf('Environment only:'));
    for (const [key, definition] of Object.entries(receiverOptions) as Array<[string, OptionDefinition]>) {
      const shown = definition.flag ? help : environmentOnly;
      if (definition.flag) expect(help, key).toContain(flagName(definition));
      for (const variable of definition.environment ?? []) expect(shown, key).toContain(variable);
      const fallback = defaultText(definition);
      // A switch (`--insecure`) is off unless given, which its help leaves unsaid.
      const isSwitch = definition.flag !== undefined && !/[<[]/.test(definition.flag);
      if (fallback !== undefined && !(isSwitch && fallback === 'false'))
        expect(shown, key).toContain(`[default: ${fallback}]`);
    }
  });

  it('a bad environment value stops it before anything starts, naming the variable and the value', async () => {
    const { code, stderr } = await runCli(['serve'], {
      env: { TRAJECTORIES_HTTP_PORT: 'abc', TRAJECTORIES_DATA_DIR: temporaryDirectory() },
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^trajectories: invalid configuration: environment variable TRAJECTORIES_HTTP_PORT = "abc": /,
    );
  });

  it('a flag beats the environment: the bad flag is the one reported', async () => {
    const { code, stderr } = await runCli(['serve', '--max-request-bytes', '-5'], {
      env: { TRAJECTORIES_MAX_REQUEST_BYTES: '1024', TRAJECTORIES_WAL_SYNC: 'sometimes' },
    });
    expect(code).toBe(1);
    expect(stderr).toContain('flag --max-request-bytes = "-5"');
    expect(stderr).toContain('environment variable TRAJECTORIES_WAL_SYNC = "sometimes"');
    expect(stderr).not.toContain('TRAJECTORIES_MAX_REQUEST_BYTES');
  });

  it('stores where --data-dir says over TRAJECTORIES_DATA_DIR, where TRAJECTORIES_DATA_DIR says over ./data', async () => {
    const fromFlag = temporaryDirectory('serve-flag-');
    const fromEnvironment = temporaryDirectory('serve-environment-');
    const workingDirectory = temporaryDirectory('serve-default-');
    expect(await readyLine(['--data-dir', fromFlag], { env: { TRAJECTORIES_DATA_DIR: temporaryDirectory() } })).toBe(
      `trajectories receiver ready (embedded ClickHouse in ${fromFlag})`,
    );
    expect(await readyLine([], { env: { TRAJECTORIES_DATA_DIR: fromEnvironment } })).toBe(
      `trajectories receiver ready (embedded ClickHouse in ${fromEnvironment})`,
    );
    expect(await readyLine([], { cwd: workingDirectory })).toBe(
      `trajectories receiver ready (embedded ClickHouse in ${join(workingDirectory, 'data')})`,
    );
  });
});
