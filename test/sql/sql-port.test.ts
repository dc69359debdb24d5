/**
 * The receiver's read-only ClickHouse HTTP port against the clients people use (curl-like fetch, the real
 * @clickhouse/client) and against what a hostile tenant would try: writes, DDL, settings, table functions and
 * functions that reach files or the network, INTO OUTFILE, several statements, comment tricks, system tables,
 * other tenants' rows through views, parameterized views, joins and error side channels. Two tenants' agent runs
 * are stored through OTLP with their tokens; team-a's token must only ever see team-a's rows.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import {
  createTraceExporter,
  exportSpans,
  exportSucceeded,
  produceAgentRun,
  recordSpans,
} from '../helpers/export-spans.ts';
import { queryRows, startTestReceiver } from '../helpers/test-receiver.ts';
import { runCli } from '../cli/run-cli.ts';

let receiver: Receiver;
let client: ClickHouseClient;
let spansA = 0;
let spansAll = 0;

async function sendRun(token: string, label: string): Promise<void> {
  const exporter = createTraceExporter('http/protobuf', { ...receiver, headers: { Authorization: `Bearer ${token}` } });
  expect(
    exportSucceeded(await exportSpans(exporter, await recordSpans((tracer) => produceAgentRun(tracer, label)))),
  ).toBe(true);
  await exporter.shutdown();
}

async function sql(query: string, options: { token?: string; params?: Record<string, string> } = {}) {
  const url = new URL(receiver.sqlUrl!);
  for (const [name, value] of Object.entries(options.params ?? {})) url.searchParams.set(name, value);
  const response = await fetch(url, {
    method: 'POST',
    body: query,
    headers: { authorization: `Basic ${Buffer.from(`me:${options.token ?? 'token-aaaa'}`).toString('base64')}` },
  });
  return {
    status: response.status,
    code: response.headers.get('x-clickhouse-exception-code'),
    text: await response.text(),
  };
}

beforeAll(async () => {
  receiver = await startTestReceiver({ authTokens: 'token-aaaa=team-a,token-bbbb=team-b', sqlPort: 0 });
  await sendRun('token-aaaa', 'paris');
  await sendRun('token-bbbb', 'secret-of-b');
  await sendRun('token-bbbb', 'secret-of-b');
  await receiver.flush();
  const counts = await queryRows<{ tenant: string; spans: string }>(
    receiver,
    'SELECT tenant, count() AS spans FROM spans FINAL GROUP BY tenant',
  );
  spansA = Number(counts.find((row) => row.tenant === 'team-a')!.spans);
  spansAll = counts.reduce((sum, row) => sum + Number(row.spans), 0);
  client = createClient({ url: receiver.sqlUrl!, username: 'analyst', password: 'token-aaaa' });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await receiver?.close();
});

describe('the SQL port with ClickHouse clients', () => {
  it('answers @clickhouse/client: ping, query parameters, formats', async () => {
    expect((await client.ping()).success).toBe(true);
    const result = await client.query({
      query: 'SELECT count() AS spans, uniqExact(trace_id) AS traces FROM spans FINAL WHERE kind != {excluded:String}',
      query_params: { excluded: 'nothing' },
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ spans: spansA, traces: 1 }]);
    const summaries = await client.query({
      query: 'SELECT agent_name, outcome FROM trajectory_summaries FINAL',
      format: 'JSON',
    });
    const body = await summaries.json<{ agent_name: string }>();
    expect(body.data.map((row) => row.agent_name)).toEqual(['planner']);
  });

  it('answers curl-style GET with the query in the URL, TabSeparated by default', async () => {
    const url = new URL(receiver.sqlUrl!);
    url.searchParams.set(
      'query',
      "SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'spans'",
    );
    url.searchParams.set('password', 'token-aaaa');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-clickhouse-format')).toBe('TabSeparated');
    expect(await response.text()).toBe('spans\n');
    const json = await sql('SELECT 1 AS one FORMAT JSONEachRow');
    expect(json).toMatchObject({ status: 200, text: '{"one":1}\n' });
  });

  it('refuses a missing or unknown token with ClickHouse’s authentication error', async () => {
    const missing = await fetch(`${receiver.sqlUrl}/?query=SELECT%201`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('x-clickhouse-exception-code')).toBe('516');
    const wrong = await sql('SELECT 1', { token: 'token-zzzz' });
    expect(wrong.status).toBe(401);
    // The real client surfaces it as an error with ClickHouse's code.
    const stranger = createClient({ url: receiver.sqlUrl!, password: 'nope' });
    await expect(stranger.query({ query: 'SELECT 1' })).rejects.toMatchObject({ code: '516' });
    await stranger.close();
  });

  it('limits result size and execution time', async () => {
    const rows = await sql('SELECT number FROM numbers(100)', { params: { max_result_rows: '10' } });
    expect(rows.status).toBe(500);
    expect(rows.text).toMatch(/Limit for result exceeded/);
    const slow = await sql('SELECT count() FROM numbers(1000000000000)', { params: { max_execution_time: '1' } });
    expect(slow.text).toMatch(/Timeout exceeded|TIMEOUT_EXCEEDED/);
    const raised = await sql('SELECT 1', { params: { max_execution_time: '100000' } });
    expect(raised).toMatchObject({ status: 403, code: '452' });
    const other = await sql('SELECT 1', { params: { additional_table_filters: '{}' } });
    expect(other).toMatchObject({ status: 403, code: '164' });
  });

  it('prints a table with trajectories sql', async () => {
    const result = await runCli([
      'sql',
      'SELECT agent_name, count() AS n FROM trajectory_summaries FINAL GROUP BY agent_name',
      '--url',
      receiver.sqlUrl!,
      '--token',
      'token-aaaa',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/agent_name.*n/);
    expect(result.stdout).toMatch(/planner.*1/);
    const json = await runCli([
      'sql',
      'SELECT 2 AS two',
      '--format',
      'JSONEachRow',
      '--url',
      receiver.sqlUrl!,
      '--token',
      'token-aaaa',
    ]);
    expect(json.stdout).toBe('{"two":2}\n');
    const refused = await runCli(['sql', 'DROP TABLE spans', '--url', receiver.sqlUrl!, '--token', 'token-aaaa']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/only SELECT/);
  });
});

describe('what the SQL port refuses', () => {
  const refused: Array<[string, RegExp]> = [
    ["INSERT INTO spans (tenant, trace_id, span_id) VALUES ('team-a', 'x', 'y')", /only SELECT/],
    ['DROP TABLE spans', /only SELECT/],
    ['TRUNCATE TABLE spans', /only SELECT/],
    ["ALTER TABLE spans DELETE WHERE tenant = 'team-b'", /only SELECT/],
    ['CREATE TABLE x (a UInt8) ENGINE = Memory', /only SELECT/],
    ["CREATE TABLE x ENGINE = File(TSV, '/tmp/x') AS SELECT 1", /only SELECT/],
    ['SET readonly = 0', /only SELECT/],
    ['SYSTEM SHUTDOWN', /only SELECT|Syntax|SYNTAX/],
    ['KILL QUERY WHERE 1', /only SELECT/],
    ['OPTIMIZE TABLE spans FINAL', /only SELECT/],
    ['SELECT 1; DROP TABLE spans', /Multi-statements/],
    ['SELECT 1;\nDROP TABLE spans;', /Multi-statements/],
    ['SELECT count() FROM spans SETTINGS additional_table_filters = {}', /SETTINGS clauses/],
    ['SELECT * FROM (SELECT count() FROM spans SETTINGS readonly = 0)', /SETTINGS clauses/],
    ["SELECT * FROM file('/etc/passwd', 'LineAsString')", /table function file/],
    ["SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')", /table function url/],
    ["SELECT * FROM s3('http://127.0.0.1:1/b/k', 'CSV')", /table function s3/],
    ["SELECT * FROM remote('127.0.0.1', system.one)", /table function remote/],
    ["SELECT * FROM executable('id', 'TSV', 'x String')", /table function executable/],
    ["SELECT * FROM merge(currentDatabase(), '^spans$')", /table function merge/],
    ["SELECT * FROM cluster('default', system.one)", /table function cluster/],
    ["SELECT 1 WHERE 1 IN (SELECT 1 FROM url('http://127.0.0.1:1/', 'CSV', 'a UInt8'))", /table function url/],
    ["SELECT file('/etc/hostname')", /function file/],
    ["SELECT dictGet('d', 'a', 1)", /function dictGet/],
    ["SELECT joinGet('spans', 'a', 1)", /function joinGet/],
    ['SELECT filesystemAvailable()', /function filesystemAvailable/],
    ["SELECT getServerSetting('path')", /function getServerSetting/],
    ['SELECT sleepEachRow(3) FROM numbers(10)', /function sleepEachRow/],
    ["SELECT 1 INTO OUTFILE '/tmp/trajectories-sql-port-outfile'", /INTO OUTFILE/],
    ['SELECT * FROM system.query_log', /system.query_log is not readable/],
    ['SELECT * FROM system.processes', /system.processes is not readable/],
    ["SELECT 'x' IN system.query_log", /IN system.query_log is not readable/],
    ['SELECT * FROM summarizer_state', /summarizer_state is not readable/],
    ['SELECT * FROM default.anything', /default.anything is not readable/],
    ["SELECT count() FROM spans PREWHERE throwIf(tenant = 'team-b', 'leak') = 0", /PREWHERE/],
    ['EXPLAIN SELECT 1', /only SELECT/],
    ['SHOW TABLES', /only SELECT.*system.tables/],
    ['SELECT 1 /* unterminated', /comment|Syntax|SYNTAX/],
  ];

  it.each(refused)('%s', async (query, reason) => {
    const answer = await sql(query);
    expect(answer.status, answer.text).toBeGreaterThanOrEqual(400);
    expect(answer.text).toMatch(reason);
    expect(answer.text).toMatch(/^Code: \d+\. DB::Exception: /);
  });

  it('left the store as it was and wrote no file', async () => {
    const counts = await queryRows<{ spans: string }>(receiver, 'SELECT count() AS spans FROM spans FINAL');
    expect(Number(counts[0]!.spans)).toBe(spansAll);
    const { existsSync } = await import('node:fs');
    expect(existsSync('/tmp/trajectories-sql-port-outfile')).toBe(false);
  });
});

describe('tenant isolation whatever the SQL says', () => {
  const onlyTeamA: Array<[string, string]> = [
    ['all rows', 'SELECT count() FROM spans FINAL'],
    ['the other tenant by name', "SELECT count() FROM spans WHERE tenant = 'team-b'"],
    ['a qualified name', 'SELECT count() FROM trajectories.spans'],
    [
      'a parameterized view told the other tenant',
      "SELECT count() FROM resolved_spans(tenant = 'team-b', trace_ids = [])",
    ],
    ['the trajectories view', "SELECT count() FROM trajectories(tenant = 'team-b', trace_ids = [], quiet_seconds = 0)"],
    ['a join', 'SELECT count() FROM spans AS a INNER JOIN spans AS b ON a.span_id = b.span_id'],
    [
      'a union',
      "SELECT count() FROM (SELECT span_id FROM spans UNION ALL SELECT span_id FROM spans WHERE tenant = 'team-b')",
    ],
    ['a scalar subquery', "SELECT (SELECT count() FROM spans WHERE tenant != 'team-a')"],
    ['a CTE', "WITH s AS (SELECT * FROM spans WHERE tenant = 'team-b') SELECT count() FROM s"],
    ['content rows', "SELECT count() FROM contents WHERE tenant = 'team-b'"],
    ['the analytics views', "SELECT count() FROM analytics_trajectories WHERE tenant = 'team-b'"],
  ];

  it.each(onlyTeamA)('%s', async (_name, query) => {
    const answer = await sql(`${query} FORMAT TSV`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.text).not.toMatch(/secret-of-b/);
    // Every count is of team-a's rows at most: 0 for the questions about team-b.
    const count = Number(answer.text.trim());
    expect(count).toBeLessThanOrEqual(spansA);
  });

  it('sees only its own tenant in every table and in search text', async () => {
    const tenants = await sql(
      "SELECT arrayStringConcat(groupUniqArray(tenant), ',') FROM (SELECT tenant FROM spans UNION ALL SELECT tenant FROM trajectory_summaries UNION ALL SELECT tenant FROM trace_index UNION ALL SELECT tenant FROM trace_words) FORMAT TSV",
    );
    expect(tenants.text).toBe('team-a\n');
    const words = await sql("SELECT count() FROM trace_words WHERE word LIKE '%secret%' FORMAT TSV");
    expect(words.text).toBe('0\n');
    const other = await sql("SELECT count() FROM trace_words WHERE word LIKE '%secret%' FORMAT TSV", {
      token: 'token-bbbb',
    });
    expect(Number(other.text)).toBeGreaterThan(0);
  });

  it('leaks nothing through errors raised on the other tenant’s rows', async () => {
    for (const query of [
      "SELECT count() FROM spans WHERE throwIf(tenant = 'team-b', 'leak') = 0",
      "SELECT count() FROM spans WHERE intDiv(1, if(tenant = 'team-b', 0, 1)) = 1",
      "SELECT count() FROM spans WHERE throwIf(position(first_user_text, 'secret') > 0, 'leak') = 0",
      "SELECT throwIf(tenant = 'team-b', 'leak') FROM spans",
      "SELECT count() FROM spans FINAL WHERE throwIf(position(task, 'secret') > 0, 'leak') = 0",
    ]) {
      const answer = await sql(query);
      expect(answer.status, `${query}: ${answer.text}`).toBe(200);
    }
  });
});
