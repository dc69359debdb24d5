/**
 * The store writer against a ClickHouse server that goes down: each batch it cannot store is a `retry` outcome
 * carrying the unavailable StoreError, the checkpoint stays where it was (nothing acknowledged is dropped), and
 * once the server is back the same batch is `stored`, its rows built again from the logged requests with their
 * contents (content a failed batch would have added is not taken as stored).
 */
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreWriter, retryDelayMillis } from '../../collector/ingest/store-writer.ts';
import { traceRequestRecord } from '../../collector/ingest/trace-request-record.ts';
import { WriteAheadLog } from '../../collector/ingest/write-ahead-log.ts';
import type { Store } from '../../src/store/client.ts';
import { openMigratedStore } from '../../src/store/migrate.ts';
import { StoreError } from '../../src/store/store-error.ts';
import { startClickHouseHttpServer, type ClickHouseHttpServer } from '../helpers/clickhouse-http-server.ts';
import { recordSpans } from '../helpers/export-spans.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

let clickhouse: ClickHouseHttpServer;
let store: Store;

beforeAll(async () => {
  clickhouse = await startClickHouseHttpServer(temporaryDirectory('clickhouse-server-'));
  store = await openMigratedStore({ dataDir: temporaryDirectory(), clickhouseUrl: `${clickhouse.url}/outage` });
});
afterAll(async () => {
  await store?.close();
  await clickhouse?.close();
});

describe('store writer while the store is down', () => {
  it('retries the same batch after a backoff while the server answers 503, and stores it once the server is back', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(join(directory, 'wal'), { sync: 'none' });
    const errors: string[] = [];
    const writer = new StoreWriter(store, log, directory, {
      lingerMillis: 1,
      onError: (error) => errors.push(error.message),
    });
    clickhouse.unavailable = true;
    const row =
      JSON.stringify({
        tenant: 'outage',
        trace_id: 'ef'.repeat(16),
        span_id: '00000000000000b1',
        name: 'x',
        kind: 'other',
      }) + '\n';
    await log.append([{ table: 'spans', rows: 1, payload: Buffer.from(row) }]);
    const checkpoint = log.checkpoint;
    writer.start();
    await expect.poll(() => writer.lastOutcome?.status, { timeout: 10_000 }).toBe('retry');
    const outcome = writer.lastOutcome;
    if (outcome?.status !== 'retry') throw new Error(`expected a retry, got ${JSON.stringify(outcome)}`);
    expect(outcome.error).toBeInstanceOf(StoreError);
    expect(outcome.error).toMatchObject({ kind: 'unavailable', message: 'Service Unavailable' });
    // The first retry waits 200 ms; a loaded machine may already be at a later, longer one.
    expect(outcome.retryInMillis).toBeGreaterThanOrEqual(retryDelayMillis(1));
    expect(writer.storeFailing).toBe(true);
    expect(writer.lastStoreError).toBe(outcome.error);
    expect(log.checkpoint).toEqual(checkpoint);
    expect(log.pendingBytes).toBeGreaterThan(0);
    expect(errors).toContain('Service Unavailable');

    clickhouse.unavailable = false;
    await expect.poll(() => log.pendingBytes, { timeout: 20_000 }).toBe(0);
    expect(writer.lastOutcome).toEqual({ status: 'stored', rows: 1 });
    expect(writer.storeFailing).toBe(false);
    await writer.stop();
    const result = await store.client.query({
      query: "SELECT span_id FROM spans FINAL WHERE tenant = 'outage'",
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ span_id: '00000000000000b1' }]);
    await log.close();
  });

  it('stores every message of logged agent-loop requests whose inserts failed, batch by batch, once it is back', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(join(directory, 'wal'), { sync: 'none' });
    // One request per batch, and the next built ahead while the one before is inserted (and fails).
    const writer = new StoreWriter(store, log, directory, { lingerMillis: 1, maxBatchBytes: 1, minBatchBytes: 1 });
    const system = 'You are the outage agent. '.repeat(10);
    const spans = await recordSpans((tracer) => {
      const root = tracer.startSpan('invoke_agent');
      const parent = trace.setSpan(context.active(), root);
      for (const call of [1, 2, 3]) {
        const messages = [{ role: 'system', parts: [{ type: 'text', content: system }] }];
        for (let index = 1; index <= call; index++)
          messages.push({ role: 'user', parts: [{ type: 'text', content: `question ${index}` }] });
        tracer
          .startSpan(
            `chat ${call}`,
            { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.input.messages': JSON.stringify(messages) } },
            parent,
          )
          .end();
      }
      root.end();
    });
    clickhouse.unavailable = true;
    for (const span of spans) {
      const body = Buffer.from(ProtobufTraceSerializer.serializeRequest([span])!);
      await log.append([
        traceRequestRecord(
          { tenant: 'outage-loop', encoding: 'protobuf', limits: { maxAttributeBytes: 1 << 20 }, body },
          1,
        ),
      ]);
    }
    writer.start();
    await expect.poll(() => writer.lastOutcome?.status, { timeout: 10_000 }).toBe('retry');
    clickhouse.unavailable = false;
    await expect.poll(() => log.pendingBytes, { timeout: 20_000 }).toBe(0);
    await writer.stop();
    const stored = await store.client.query({
      query:
        "SELECT (SELECT count() FROM spans FINAL WHERE tenant = 'outage-loop') AS spans, groupArray(text) AS texts FROM contents FINAL WHERE tenant = 'outage-loop'",
      format: 'JSONEachRow',
    });
    const [{ spans: spanCount, texts } = { spans: '0', texts: [] }] = await stored.json<{
      spans: string;
      texts: string[];
    }>();
    expect(Number(spanCount)).toBe(4);
    expect(texts.filter((text) => text.includes('outage agent') && text.includes('"content"'))).not.toHaveLength(0);
    for (const question of ['question 1', 'question 2', 'question 3'])
      expect(texts.some((text) => text.includes(question))).toBe(true);
    await log.close();
  });

  it('backs off from 200 ms doubling up to 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(retryDelayMillis)).toEqual([200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  });
});
