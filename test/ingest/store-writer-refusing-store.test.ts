/**
 * The store writer against a ClickHouse that refuses every insert with an error that is not store-wide (an HTTP
 * proxy answering 500 with a code nobody classified) while it still answers SELECT 1: an overloaded server, not bad
 * rows. Escalation past `isolateAfterFailures` must not blame the rows: no piece of the batch goes in, so the batch
 * is retried with backoff and nothing acknowledged is dead-lettered; once inserts work again every row is stored.
 */
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreWriter } from '../../collector/ingest/store-writer.ts';
import { WriteAheadLog } from '../../collector/ingest/write-ahead-log.ts';
import { ReceiverMetrics } from '../../collector/metrics/receiver-metrics.ts';
import type { Store } from '../../src/store/client.ts';
import { openMigratedStore } from '../../src/store/migrate.ts';
import { startClickHouseHttpServer, type ClickHouseHttpServer } from '../helpers/clickhouse-http-server.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

/** Forwards everything to the server, except that, while `refuseInserts` is set, every INSERT answers 500. */
interface RefusingProxy {
  url: string;
  refuseInserts: boolean;
  close(): Promise<void>;
}

async function startRefusingProxy(upstream: string): Promise<RefusingProxy> {
  const target = new URL(upstream);
  const state: RefusingProxy = { url: '', refuseInserts: false, close: async () => {} };
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const query = new URL(incoming.url ?? '/', 'http://proxy').searchParams.get('query') ?? '';
      if (state.refuseInserts && /^\s*INSERT\b/i.test(query)) {
        // STD_EXCEPTION: a code the writer does not classify, so not store-wide.
        outgoing.writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': '1001' });
        outgoing.end('Code: 1001. DB::Exception: std::runtime_error: server is overloaded. (STD_EXCEPTION)');
        return;
      }
      const forwarded = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: target.host },
        },
        (response) => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(outgoing);
        },
      );
      forwarded.on('error', () => outgoing.destroy());
      forwarded.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://default:@127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return state;
}

let clickhouse: ClickHouseHttpServer;
let proxy: RefusingProxy;
let store: Store;

beforeAll(async () => {
  clickhouse = await startClickHouseHttpServer(temporaryDirectory('clickhouse-server-'));
  proxy = await startRefusingProxy(clickhouse.url);
  store = await openMigratedStore({ dataDir: temporaryDirectory(), clickhouseUrl: `${proxy.url}/refusing` });
});
afterAll(async () => {
  await store?.close();
  await proxy?.close();
  await clickhouse?.close();
});

function spanLine(spanId: string): string {
  return JSON.stringify({ tenant: 'refused', trace_id: 'a7'.repeat(16), span_id: spanId, name: 'fine' }) + '\n';
}

function counted(metric: { get(): Promise<{ values: Array<{ value: number }> }> }): Promise<number> {
  return metric.get().then(({ values }) => values.reduce((total, { value }) => total + value, 0));
}

describe('a store that refuses every insert with an error that is not store-wide but answers queries', () => {
  it('gets the batch again with backoff past isolateAfterFailures, dead-letters nothing, and stores it all once inserts work', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(join(directory, 'wal'), { sync: 'none' });
    const errors: string[] = [];
    const metrics = new ReceiverMetrics();
    const writer = new StoreWriter(store, log, directory, {
      lingerMillis: 1,
      isolateAfterFailures: 2,
      metrics,
      onError: (error) => errors.push(error.message),
    });
    const first = ['01', '02', '03', '04'].map((id) => spanLine(`00000000000000${id}`));
    await log.append([
      { table: 'spans', rows: first.length, payload: Buffer.from(first.join('')) },
      { table: 'spans', rows: 1, payload: Buffer.from(spanLine('0000000000000005')) },
    ]);
    const checkpoint = log.checkpoint;
    proxy.refuseInserts = true;
    writer.start();

    // Two failures escalate; four more attempts are isolated, each finding that no piece of the batch goes in.
    await expect
      .poll(() => counted(metrics.writerRetries), { timeout: 40_000, interval: 100 })
      .toBeGreaterThanOrEqual(6);
    expect(
      errors.some((message) => /refused log range .* 2 times in a row while it answers queries/.test(message)),
    ).toBe(true);
    expect(writer.deadLetter).toEqual({ rows: 0, bytes: 0, droppedRows: 0 });
    expect(await counted(metrics.deadLetteredRows)).toBe(0);
    expect(await counted(metrics.deadLetterDroppedRows)).toBe(0);
    expect(() => readFileSync(join(directory, 'dead-letter.jsonl'))).toThrow(/ENOENT/);
    expect(log.checkpoint).toEqual(checkpoint);
    expect(writer.lastOutcome).toMatchObject({ status: 'retry', error: { kind: 'unavailable', storeWide: false } });

    proxy.refuseInserts = false;
    await expect.poll(() => log.pendingBytes, { timeout: 20_000 }).toBe(0);
    await writer.stop();
    expect(writer.lastOutcome).toEqual({ status: 'stored', rows: 5 });
    const result = await store.client.query({
      query: "SELECT span_id FROM spans FINAL WHERE tenant = 'refused' ORDER BY span_id",
      format: 'JSONEachRow',
    });
    expect((await result.json<{ span_id: string }>()).map((row) => row.span_id)).toEqual(
      ['01', '02', '03', '04', '05'].map((id) => `00000000000000${id}`),
    );
    expect(writer.deadLetter).toEqual({ rows: 0, bytes: 0, droppedRows: 0 });
    await log.close();
  }, 90_000);
});
