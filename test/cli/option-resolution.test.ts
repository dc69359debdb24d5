/**
 * The one configuration resolution every command uses (src/config): given value ?? first environment variable
 * set ?? schema default, validated, with errors that name the value and where it came from; and the receiver's
 * resolveReceiverConfig, which is that resolution over the receiver's option table.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { receiverOptions, resolveReceiverConfig } from '../../collector/config.ts';
import { describeOption, type OptionTable } from '../../src/config/option-definition.ts';
import { ConfigurationError, resolveOptions } from '../../src/config/resolve-options.ts';

const table = {
  port: {
    flag: '--port <port>',
    environment: ['APP_PORT', 'PORT'],
    schema: z.coerce.number().int().min(0).max(65535).default(8080),
    description: 'port',
  },
  name: { flag: '--name <name>', schema: z.string().min(1), description: 'name' },
  verbose: { flag: '--verbose', schema: z.boolean().default(false), description: 'talk more' },
} satisfies OptionTable;

describe('resolveOptions', () => {
  it('takes a given value over the environment, and the environment over the default', () => {
    const environment = { APP_PORT: '7000' };
    expect(resolveOptions({ table, given: { port: '9000', name: 'a' }, environment, givenAs: 'flag' })).toEqual({
      values: { port: 9000, name: 'a', verbose: false },
      origins: {
        port: { source: 'flag', flag: '--port' },
        name: { source: 'flag', flag: '--name' },
        verbose: { source: 'default' },
      },
    });
    const fromEnvironment = resolveOptions({ table, given: { name: 'a' }, environment });
    expect(fromEnvironment.values.port).toBe(7000);
    expect(fromEnvironment.origins.port).toEqual({ source: 'environment', variable: 'APP_PORT' });
    const fromDefault = resolveOptions({ table, given: { name: 'a' }, environment: {} });
    expect(fromDefault.values.port).toBe(8080);
    expect(fromDefault.origins.port).toEqual({ source: 'default' });
  });

  it('reads the first variable that is set, and counts an empty one as unset', () => {
    expect(
      resolveOptions({ table, given: { name: 'a' }, environment: { APP_PORT: '', PORT: '81' } }).origins.port,
    ).toEqual({ source: 'environment', variable: 'PORT' });
    expect(
      resolveOptions({ table, given: { name: 'a' }, environment: { APP_PORT: '80', PORT: '81' } }).values.port,
    ).toBe(80);
  });

  it('names every bad value with where it came from, and a missing required value by its flag', () => {
    let thrown: unknown;
    try {
      resolveOptions({ table, given: { port: undefined }, environment: { PORT: 'abc' } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    const error = thrown as ConfigurationError;
    expect(error.message).toMatch(/^invalid configuration: environment variable PORT = "abc": .+; --name is required$/);
    expect(error.problems.map((problem) => [problem.key, problem.origin])).toEqual([
      ['port', { source: 'environment', variable: 'PORT' }],
      ['name', { source: 'default' }],
    ]);
    expect(() => resolveOptions({ table, given: { port: '70000', name: 'a' }, givenAs: 'flag' })).toThrow(
      /flag --port = "70000": Too big/,
    );
    expect(() => resolveOptions({ table, given: { port: 70000, name: 'a' } })).toThrow(/option port = 70000: Too big/);
  });

  it('writes help text from the definition: variables and default, a false switch without one', () => {
    expect(describeOption(table.port)).toBe('port [env: APP_PORT, PORT] [default: 8080]');
    expect(describeOption(table.name)).toBe('name');
    expect(describeOption(table.verbose)).toBe('talk more');
  });
});

describe('resolveReceiverConfig', () => {
  it('merges option ?? environment ?? default over the receiver table, with an absolute data directory', () => {
    const config = resolveReceiverConfig(
      { httpPort: 0, dataDir: 'relative/dir' },
      { TRAJECTORIES_HTTP_PORT: '1234', TRAJECTORIES_GRPC_PORT: '-1', CLICKHOUSE_URL: 'http://clickhouse:8123' },
    );
    expect(config.httpPort).toBe(0);
    expect(config.grpcPort).toBe(-1);
    expect(config.clickhouseUrl).toBe('http://clickhouse:8123');
    expect(config.dataDir).toBe(resolve('relative/dir'));
    expect(config.host).toBe('127.0.0.1');
    expect(config.maxRequestBytes).toBe(32 * 1024 * 1024);
    expect(config.walSync).toBe('fsync');
  });

  it('prefers TRAJECTORIES_CLICKHOUSE_URL over CLICKHOUSE_URL', () => {
    expect(
      resolveReceiverConfig({}, { CLICKHOUSE_URL: 'http://b:8123', TRAJECTORIES_CLICKHOUSE_URL: 'http://a:8123' })
        .clickhouseUrl,
    ).toBe('http://a:8123');
  });

  it('rejects a bad variable naming it, and a bad option naming the option', () => {
    expect(() => resolveReceiverConfig({}, { TRAJECTORIES_HTTP_PORT: 'abc' })).toThrow(
      /^invalid configuration: environment variable TRAJECTORIES_HTTP_PORT = "abc": /,
    );
    expect(() => resolveReceiverConfig({ walSync: 'sometimes' as 'none' })).toThrow(/option walSync = "sometimes"/);
    expect(() => resolveReceiverConfig({ httpPort: 'abc' }, {}, 'flag')).toThrow(/flag --http-port = "abc"/);
    expect(() => resolveReceiverConfig({}, { TRAJECTORIES_DATABASE: 'bad-name' })).toThrow(
      /environment variable TRAJECTORIES_DATABASE = "bad-name"/,
    );
  });

  it('has an environment variable for every setting', () => {
    for (const [key, definition] of Object.entries(receiverOptions))
      expect(definition.environment?.length, key).toBeGreaterThan(0);
  });
});
