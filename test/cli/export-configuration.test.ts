/**
 * Where `trajectories export` and `trajectories jobs` read from, resolved like `serve`'s options: through the
 * receiver by default, the store directly when a store location is given by flag or by the environment `serve`
 * reads (CLICKHOUSE_URL, TRAJECTORIES_CLICKHOUSE_URL, TRAJECTORIES_DATA_DIR), with the flag winning. Run as a user
 * runs them: bin/trajectories.mjs in a child process, against a real receiver and a ClickHouse HTTP interface.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../collector/receiver.ts';
import { startClickHouseHttpServer, type ClickHouseHttpServer } from '../helpers/clickhouse-http-server.ts';
import {
  createTraceExporter,
  exportSpans,
  exportSucceeded,
  produceAgentRun,
  recordSpans,
} from '../helpers/export-spans.ts';
import { startTestReceiver, temporaryDirectory } from '../helpers/test-receiver.ts';
import { runCli } from './run-cli.ts';

/** A URL nothing listens on: a port that was free a moment ago. */
async function unreachableUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/`;
}

async function sendAgentRun(receiver: Receiver): Promise<void> {
  const exporter = createTraceExporter('http/protobuf', receiver);
  expect(
    exportSucceeded(
      await exportSpans(exporter, await recordSpans((tracer) => produceAgentRun(tracer, 'configuration'))),
    ),
  ).toBe(true);
  await exporter.shutdown();
  await receiver.flush();
}

const exportArgs = (out: string) => ['export', '--format', 'openai-sft', '--include-unrewarded', '--all', '--out', out];

describe('trajectories export: a store location in the environment', () => {
  it('honours CLICKHOUSE_URL: it reads that server, and the error names the URL and the variable', async () => {
    const url = await unreachableUrl();
    const { code, stderr } = await runCli(exportArgs(join(temporaryDirectory(), 'out.jsonl')), {
      env: { CLICKHOUSE_URL: url },
    });
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot reach ClickHouse at ${url}`);
    expect(stderr).toContain('CLICKHOUSE_URL is set in the environment');
    expect(stderr).toContain('unset CLICKHOUSE_URL or pass --receiver <url>');
  });

  it('takes TRAJECTORIES_CLICKHOUSE_URL over CLICKHOUSE_URL, and --clickhouse-url over both', async () => {
    const [flag, preferred, fallback] = [await unreachableUrl(), await unreachableUrl(), await unreachableUrl()];
    const env = { TRAJECTORIES_CLICKHOUSE_URL: preferred, CLICKHOUSE_URL: fallback };
    const fromEnvironment = await runCli(exportArgs(join(temporaryDirectory(), 'out.jsonl')), { env });
    expect(fromEnvironment.stderr).toContain(`cannot reach ClickHouse at ${preferred}`);
    const fromFlag = await runCli([...exportArgs(join(temporaryDirectory(), 'out.jsonl')), '--clickhouse-url', flag], {
      env,
    });
    expect(fromFlag.code).toBe(1);
    expect(fromFlag.stderr).toContain(`cannot reach ClickHouse at ${flag}`);
    expect(fromFlag.stderr).not.toContain('set in the environment');
  });

  it('names a malformed CLICKHOUSE_URL before connecting anywhere', async () => {
    const { code, stderr } = await runCli(exportArgs(join(temporaryDirectory(), 'out.jsonl')), {
      env: { CLICKHOUSE_URL: 'not a url' },
    });
    expect(code).toBe(1);
    expect(stderr).toContain('invalid configuration: environment variable CLICKHOUSE_URL = "not a url"');
  });

  it('jobs list honours TRAJECTORIES_CLICKHOUSE_URL the same way', async () => {
    const url = await unreachableUrl();
    const jobsFile = join(temporaryDirectory(), 'jobs.yaml');
    writeFileSync(jobsFile, 'jobs:\n  - name: sft\n    format: openai-sft\n    destination: ./out\n    interval: 1d\n');
    const { code, stderr } = await runCli(['jobs', 'list', '--jobs', jobsFile], {
      env: { TRAJECTORIES_CLICKHOUSE_URL: url },
    });
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot reach ClickHouse at ${url}`);
    expect(stderr).toContain('TRAJECTORIES_CLICKHOUSE_URL is set in the environment');
  });
});

describe('trajectories export: reading a ClickHouse server named only by CLICKHOUSE_URL', () => {
  let clickhouse: ClickHouseHttpServer;
  let receiver: Receiver;
  beforeAll(async () => {
    clickhouse = await startClickHouseHttpServer(temporaryDirectory('clickhouse-server-'));
    receiver = await startReceiver({
      httpPort: 0,
      grpcPort: -1,
      dataDir: temporaryDirectory(),
      walSync: 'none',
      batchLingerMillis: 5,
      clickhouseUrl: `${clickhouse.url}/agents`,
    });
    await sendAgentRun(receiver);
  });
  afterAll(async () => {
    await receiver?.close();
    await clickhouse?.close();
  });

  it('exports the trajectory stored on that server', async () => {
    const out = join(temporaryDirectory(), 'sft.jsonl');
    const before = clickhouse.statements.length;
    const { code, stdout, stderr } = await runCli(exportArgs(out), {
      env: { CLICKHOUSE_URL: `${clickhouse.url}/agents` },
    });
    expect(stderr).not.toContain('trajectories:');
    expect(code).toBe(0);
    expect(stdout).toMatch(/records\s+1\n/);
    const [record] = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { messages: Array<{ role: string; content: string | null }> });
    expect(record?.messages[0]).toMatchObject({ role: 'user', content: 'what is the configuration?' });
    expect(
      clickhouse.statements.slice(before).some((statement) => /\btrajectory_summaries\b|\bspans\b/.test(statement)),
    ).toBe(true);
  });

  it('without --all it leaves out the trajectory that is not complete yet (quiet for less than a minute)', async () => {
    const args = exportArgs(join(temporaryDirectory(), 'sft.jsonl')).filter((arg) => arg !== '--all');
    const { code, stdout } = await runCli(args, { env: { CLICKHOUSE_URL: `${clickhouse.url}/agents` } });
    expect(code).toBe(0);
    expect(stdout).toMatch(/records\s+0\n/);
  });
});

describe('trajectories export while a receiver holds the data directory', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startTestReceiver({ grpcPort: -1 });
    await sendAgentRun(receiver);
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('with TRAJECTORIES_DATA_DIR exported for the receiver, fails naming the fix: unset it or pass --receiver', async () => {
    const env = { TRAJECTORIES_DATA_DIR: receiver.config.dataDir };
    const { code, stderr } = await runCli(exportArgs(join(temporaryDirectory(), 'out.jsonl')), { env });
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot open embedded ClickHouse in ${join(receiver.config.dataDir, 'clickhouse')}`);
    expect(stderr).toContain('embedded ClickHouse can only be opened by one process');
    expect(stderr).toContain('unset TRAJECTORIES_DATA_DIR or pass --receiver <url>');
  });

  it('with --receiver it reads through the receiver although TRAJECTORIES_DATA_DIR is set', async () => {
    const out = join(temporaryDirectory(), 'out.jsonl');
    const { code, stdout } = await runCli([...exportArgs(out), '--receiver', receiver.httpUrl], {
      env: { TRAJECTORIES_DATA_DIR: receiver.config.dataDir },
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/records\s+1\n/);
  });

  it('with TRAJECTORIES_RECEIVER_URL set too, the environment means the receiver', async () => {
    const out = join(temporaryDirectory(), 'out.jsonl');
    const { code, stdout } = await runCli(exportArgs(out), {
      env: { TRAJECTORIES_DATA_DIR: receiver.config.dataDir, TRAJECTORIES_RECEIVER_URL: receiver.httpUrl },
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/records\s+1\n/);
  });

  it('refuses --receiver together with --data-dir', async () => {
    const { code, stderr } = await runCli([
      ...exportArgs(join(temporaryDirectory(), 'out.jsonl')),
      '--receiver',
      receiver.httpUrl,
      '--data-dir',
      receiver.config.dataDir,
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain('pass either --receiver or --clickhouse-url / --data-dir, not both');
  });
});
