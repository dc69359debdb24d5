/**
 * Against a server, migrations run through a client of their own whose request timeout is long: the copy in
 * migration 0013 takes as long as the data, and a start that gave up on it after the ordinary client's timeout left
 * the server copying while it failed, and started the copy again on every restart. Here a proxy in front of the
 * ClickHouse HTTP interface holds the copy's answer longer than the ordinary client's (shortened) timeout.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/client.ts';
import { listMigrations, migrate } from '../../src/store/migrate.ts';
import { startClickHouseHttpServer, type ClickHouseHttpServer } from '../helpers/clickhouse-http-server.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

const requestTimeoutMillis = 400;
const copyAnswerDelayMillis = 1_500;
const heldStatement = /INSERT INTO spans_by_ingest_time|SELECT 'held' AS marker/;

let clickhouse: ClickHouseHttpServer;
let proxy: Server;
let proxyUrl: string;
const held: string[] = [];

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Forwards every request to the ClickHouse HTTP interface, holding the answer to the copy (and a marker query). */
function startDelayingProxy(target: URL): Promise<Server> {
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const text = request.headers['content-encoding'] === 'gzip' ? gunzipSync(body).toString() : body.toString();
      const statement = `${decodeURIComponent(request.url ?? '')}\n${text}`;
      if (heldStatement.test(statement)) {
        held.push(statement);
        await new Promise((resolve) => setTimeout(resolve, copyAnswerDelayMillis));
      }
      const forwarded = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: request.url,
          method: request.method,
          headers: request.headers,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(response);
        },
      );
      forwarded.on('error', () => response.destroy());
      forwarded.end(body);
    })();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  clickhouse = await startClickHouseHttpServer(temporaryDirectory('clickhouse-server-'));
  proxy = await startDelayingProxy(new URL(clickhouse.url));
  proxyUrl = `http://default:@127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
  await clickhouse?.close();
});

describe('migrations against a server', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore({
      dataDir: temporaryDirectory(),
      clickhouseUrl: `${proxyUrl}/slow_copy`,
      requestTimeoutMillis,
    });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('give up on an ordinary request that stays silent past the request timeout (what the copy used to run under)', async () => {
    await expect(store.client.query({ query: "SELECT 'held' AS marker", format: 'JSONEachRow' })).rejects.toThrow(
      /timeout/i,
    );
  });

  it('wait for a copy that answers after the ordinary request timeout, and record the migration', async () => {
    const applied = await migrate(store);
    expect(applied.map((migration) => migration.version)).toEqual(
      listMigrations().map((migration) => migration.version),
    );
    expect(held.some((statement) => statement.includes('INSERT INTO spans_by_ingest_time'))).toBe(true);
    const [table] = await (
      await store.client.query({
        query: "SELECT partition_key FROM system.tables WHERE database = currentDatabase() AND name = 'spans'",
        format: 'JSONEachRow',
      })
    ).json<{ partition_key: string }>();
    expect(table).toEqual({ partition_key: 'toYYYYMM(ingested_at)' });
  });
});
