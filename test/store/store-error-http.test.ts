/**
 * Store failures over HTTP (@clickhouse/client) become the same StoreError as on the embedded engine: a server's
 * refusal of the rows is bad data with the code it sent as a number, while a closed port, a hung or reset
 * connection and a 503 from a server that is down are the store being unavailable.
 */
import { ClickHouseError, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/client.ts';
import { openMigratedStore } from '../../src/store/migrate.ts';
import { StoreError, toStoreError } from '../../src/store/store-error.ts';
import { startClickHouseHttpServer, type ClickHouseHttpServer } from '../helpers/clickhouse-http-server.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

let clickhouse: ClickHouseHttpServer;
let store: Store;

beforeAll(async () => {
  clickhouse = await startClickHouseHttpServer(temporaryDirectory('clickhouse-server-'));
  store = await openMigratedStore({ dataDir: temporaryDirectory(), clickhouseUrl: `${clickhouse.url}/errors` });
});
afterAll(async () => {
  await store?.close();
  await clickhouse?.close();
});

async function insertFailure(rows: string): Promise<unknown> {
  try {
    await store.insertJsonEachRow('spans', Buffer.from(rows));
  } catch (error) {
    return error;
  }
  throw new Error('the insert was accepted');
}

/** What @clickhouse/client throws for one insert to `url`, classified. */
async function classifiedClientFailure(url: string, requestTimeoutMillis = 10_000): Promise<StoreError> {
  // The client's own error log would only repeat what the test asserts.
  const client = createClient({ url, request_timeout: requestTimeoutMillis, log: { level: ClickHouseLogLevel.OFF } });
  try {
    await client.exec({
      query: 'INSERT INTO spans FORMAT JSONEachRow',
      values: Readable.from([Buffer.from('{"tenant": "default"}\n')]),
    });
  } catch (error) {
    return toStoreError(error);
  } finally {
    await client.close();
  }
  throw new Error(`the insert to ${url} was accepted`);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('store errors over HTTP', () => {
  it('classifies rows the server cannot parse as bad data, with the code it sent as a number', async () => {
    const error = await insertFailure(
      '{"tenant": "default", "span_id": "0000000000000001", "flags": "not a number"}\n',
    );
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({
      kind: 'bad_data',
      clickhouseCode: 27,
      clickhouseCodeName: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
    });
    expect((error as StoreError).cause).toBeInstanceOf(ClickHouseError);
    expect(((error as StoreError).cause as ClickHouseError).code).toBe('27');
  });

  it('classifies a 503 from a server that is down as unavailable, without a ClickHouse code', async () => {
    clickhouse.unavailable = true;
    try {
      const error = await insertFailure('{"tenant": "default", "span_id": "0000000000000001"}\n');
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ kind: 'unavailable', clickhouseCode: undefined, message: 'Service Unavailable' });
    } finally {
      clickhouse.unavailable = false;
    }
    await store.insertJsonEachRow('spans', Buffer.from('{"tenant": "default", "span_id": "0000000000000002"}\n'));
  });

  it('classifies a refused connection (nothing listening on the port) as unavailable', async () => {
    const probe = createTcpServer();
    const url = await listen(probe as unknown as Server);
    await new Promise((resolve) => probe.close(resolve));
    const error = await classifiedClientFailure(url);
    expect(error).toMatchObject({ kind: 'unavailable', clickhouseCode: undefined });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('classifies a connection the server resets and a request that times out as unavailable', async () => {
    const resetting = createHttpServer((request) => request.socket.destroy());
    const hanging = createHttpServer(() => {});
    try {
      const reset = await classifiedClientFailure(await listen(resetting));
      expect(reset).toMatchObject({ kind: 'unavailable', clickhouseCode: undefined });
      expect(reset.message).toMatch(/socket hang up|ECONNRESET/);
      const timeout = await classifiedClientFailure(await listen(hanging), 200);
      expect(timeout).toMatchObject({ kind: 'unavailable', clickhouseCode: undefined });
      expect(timeout.message).toMatch(/Timeout/i);
    } finally {
      for (const server of [resetting, hanging]) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    }
  });
});
