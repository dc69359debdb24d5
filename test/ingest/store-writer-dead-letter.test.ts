/**
 * The store writer with rows ClickHouse keeps refusing, on the embedded engine: a batch refused with an error that is
 * not store-wide (a code nobody classified) is retried a bounded number of times and then isolated, so the good rows
 * and every later batch are stored; such an error blames a row only while other rows of its batch go in, except as
 * a last resort after many more failures; the dead-letter file is private (0600), bounded, and what it holds or
 * dropped is counted for health and metrics.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreWriter } from '../../collector/ingest/store-writer.ts';
import { traceRequestRecord } from '../../collector/ingest/trace-request-record.ts';
import { WriteAheadLog } from '../../collector/ingest/write-ahead-log.ts';
import { ReceiverMetrics } from '../../collector/metrics/receiver-metrics.ts';
import type { Store } from '../../src/store/client.ts';
import { openMigratedStore } from '../../src/store/migrate.ts';
import { recordSpans } from '../helpers/export-spans.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

let store: Store;

beforeAll(async () => {
  store = await openMigratedStore({ dataDir: temporaryDirectory() });
  // A view that fails for one row's value with a code no table classifies (STD_EXCEPTION): what a bug in a view,
  // or a value a ClickHouse function chokes on, looks like to the writer.
  await store.client.command({ query: 'CREATE TABLE poison_sink (n UInt8) ENGINE = Null' });
  await store.client.command({
    query:
      "CREATE MATERIALIZED VIEW poison_mv TO poison_sink AS SELECT throwIf(name = 'poison', 'poisoned row', toInt32(1001)) AS n FROM spans SETTINGS allow_custom_error_code_in_throwif = 1",
  });
});
afterAll(async () => {
  await store?.close();
});

function spanLine(tenant: string, spanId: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ tenant, trace_id: 'f6'.repeat(16), span_id: spanId, name: 'fine', ...fields }) + '\n';
}

async function storedSpanIds(tenant: string): Promise<string[]> {
  const result = await store.client.query({
    query: 'SELECT span_id FROM spans FINAL WHERE tenant = {tenant:String} ORDER BY span_id',
    query_params: { tenant },
    format: 'JSONEachRow',
  });
  return (await result.json<{ span_id: string }>()).map((row) => row.span_id);
}

function counted(metric: { get(): Promise<{ values: Array<{ value: number }> }> }): Promise<number> {
  return metric.get().then(({ values }) => values.reduce((total, { value }) => total + value, 0));
}

async function openWriter(options: ConstructorParameters<typeof StoreWriter>[3] = {}) {
  const directory = temporaryDirectory();
  const log = await WriteAheadLog.open(join(directory, 'wal'), { sync: 'none' });
  const errors: string[] = [];
  const metrics = new ReceiverMetrics();
  const writer = new StoreWriter(store, log, directory, {
    lingerMillis: 1,
    metrics,
    onError: (error) => errors.push(error.message),
    ...options,
  });
  return { directory, log, errors, metrics, writer, deadLetterFile: join(directory, 'dead-letter.jsonl') };
}

describe('a batch the store keeps refusing with an error it does not classify', () => {
  it('is retried a bounded number of times, then isolated: the good rows and later batches are stored', async () => {
    const { log, errors, metrics, writer, deadLetterFile } = await openWriter({ isolateAfterFailures: 3 });
    const batch = ['01', '02', '03', '04'].map((id) => spanLine('poisoned', `00000000000000${id}`));
    batch[2] = spanLine('poisoned', '0000000000000003', { name: 'poison' });
    await log.append([{ table: 'spans', rows: batch.length, payload: Buffer.from(batch.join('')) }]);
    writer.start();
    await log.append([{ table: 'spans', rows: 1, payload: Buffer.from(spanLine('later', '0000000000000005')) }]);

    await expect.poll(() => log.pendingBytes, { timeout: 30_000 }).toBe(0);
    await writer.stop();
    expect(await storedSpanIds('later')).toEqual(['0000000000000005']);
    // (The poisoned row itself may be in spans too: ClickHouse keeps a source block a view failed on.)
    expect(await storedSpanIds('poisoned')).toEqual(
      expect.arrayContaining(['0000000000000001', '0000000000000002', '0000000000000004']),
    );
    // Two retries, then the third failure isolates the batch.
    expect(await counted(metrics.writerRetries)).toBe(2);
    expect(await counted(metrics.deadLetteredRows)).toBe(1);
    expect(await counted(metrics.storedRows)).toBe(4);
    const [deadLetter] = readFileSync(deadLetterFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { table: string; rows: string; error: string });
    expect(deadLetter).toMatchObject({ table: 'spans', rows: batch[2].trim() });
    expect(deadLetter!.error).toContain('poisoned row');
    expect(
      errors.some((message) => /refused log range .* 3 times in a row while it answers queries/.test(message)),
    ).toBe(true);
    expect(writer.deadLetter).toEqual({ rows: 1, bytes: statSync(deadLetterFile).size, droppedRows: 0 });
    await log.close();
  }, 60_000);
});

describe('a batch refused as bad data with a piece the store keeps refusing otherwise', () => {
  it('isolates that piece too once the batch failed a bounded number of times, instead of going round forever', async () => {
    const { log, metrics, writer, deadLetterFile } = await openWriter({ isolateAfterFailures: 3 });
    const batch = [
      spanLine('mixed', '00000000000000c1', { flags: 'not a number' }),
      spanLine('mixed', '00000000000000c2', { name: 'poison' }),
      spanLine('mixed', '00000000000000c4'),
    ];
    await log.append([{ table: 'spans', rows: batch.length, payload: Buffer.from(batch.join('')) }]);
    writer.start();
    await log.append([{ table: 'spans', rows: 1, payload: Buffer.from(spanLine('after-mixed', '00000000000000c3')) }]);
    await expect.poll(() => log.pendingBytes, { timeout: 30_000 }).toBe(0);
    await writer.stop();
    expect(await storedSpanIds('after-mixed')).toEqual(['00000000000000c3']);
    expect(await counted(metrics.writerRetries)).toBe(2);
    const setAside = readFileSync(deadLetterFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { rows: string }).rows);
    expect(setAside).toEqual([batch[0]!.trim(), batch[1]!.trim()]);
    expect(await storedSpanIds('mixed')).toContain('00000000000000c4');
    await log.close();
  }, 60_000);
});

describe('a batch of one row the store refuses every time with an error that is not store-wide', () => {
  it('is not blamed while no other row of its batch goes in, and is dead-lettered loudly as a last resort', async () => {
    const { log, errors, metrics, writer, deadLetterFile } = await openWriter({
      isolateAfterFailures: 2,
      lastResortAfterFailures: 4,
    });
    const poisoned = spanLine('alone', '00000000000000d1', { name: 'poison' });
    await log.append([{ table: 'spans', rows: 1, payload: Buffer.from(poisoned) }]);
    writer.start();
    await expect.poll(() => log.pendingBytes, { timeout: 30_000 }).toBe(0);
    // Escalated at the second failure, isolated then and at the third without blaming the row; the fourth is the
    // last resort.
    expect(await counted(metrics.writerRetries)).toBe(3);
    expect(writer.deadLetter.rows).toBe(1);
    expect(writer.lastOutcome).toMatchObject({ status: 'dead_lettered', rows: 0, deadLetteredRows: 1 });
    const [setAside] = readFileSync(deadLetterFile, 'utf8').trim().split('\n');
    expect((JSON.parse(setAside!) as { rows: string }).rows).toBe(poisoned.trim());
    expect(
      errors.some((message) =>
        /^LAST RESORT: ClickHouse refused log range .* 4 times in a row while it answers queries/.test(message),
      ),
    ).toBe(true);
    expect(errors.filter((message) => message.startsWith('LAST RESORT: moved a spans row'))).toHaveLength(1);

    await log.append([{ table: 'spans', rows: 1, payload: Buffer.from(spanLine('after-alone', '00000000000000d2')) }]);
    await expect.poll(() => log.pendingBytes, { timeout: 10_000 }).toBe(0);
    await writer.stop();
    expect(await storedSpanIds('after-alone')).toEqual(['00000000000000d2']);
    await log.close();
  }, 60_000);
});

describe('the dead-letter file', () => {
  it('is created 0600, bounded (rows past the bound are dropped, counted and logged), and counted again at start', async () => {
    const bad = (id: string) => spanLine('bad-data', id, { flags: 'not a number', input_messages: 'p'.repeat(300) });
    const { directory, log, errors, metrics, writer, deadLetterFile } = await openWriter({ maxDeadLetterBytes: 1500 });
    await log.append([{ table: 'spans', rows: 1, payload: Buffer.from(bad('00000000000000b1')) }]);
    writer.start();
    await expect.poll(() => writer.deadLetter.rows, { timeout: 20_000 }).toBe(1);
    expect(statSync(deadLetterFile).mode & 0o777).toBe(0o600);

    for (const id of ['00000000000000b2', '00000000000000b3', '00000000000000b4']) {
      await log.append([{ table: 'spans', rows: 1, payload: Buffer.from(bad(id)) }]);
    }
    await log.append([{ table: 'spans', rows: 1, payload: Buffer.from(spanLine('after-full', '00000000000000b5')) }]);
    await expect.poll(() => log.pendingBytes, { timeout: 30_000 }).toBe(0);
    await writer.stop();

    const size = statSync(deadLetterFile).size;
    expect(size).toBeLessThanOrEqual(1500);
    const kept = readFileSync(deadLetterFile, 'utf8').trim().split('\n').length;
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(writer.deadLetter).toEqual({ rows: kept, bytes: size, droppedRows: 4 - kept });
    expect(await counted(metrics.deadLetteredRows)).toBe(kept);
    expect(await counted(metrics.deadLetterDroppedRows)).toBe(4 - kept);
    expect(errors.filter((message) => message.startsWith('DROPPED a spans row'))).toHaveLength(4 - kept);
    expect(errors.find((message) => message.startsWith('DROPPED'))).toMatch(/dead-letter file .* is full/);
    expect(await storedSpanIds('after-full')).toEqual(['00000000000000b5']);
    expect(await metrics.render()).toMatchObject({
      body: expect.stringContaining(`trajectories_dead_letter_bytes ${size}`),
    });

    // A writer started on the same directory reports what the file already holds.
    const restarted = new StoreWriter(store, log, directory, { lingerMillis: 1 });
    restarted.start();
    await expect.poll(() => restarted.deadLetter.rows, { timeout: 10_000 }).toBe(kept);
    expect(restarted.deadLetter.bytes).toBe(size);
    await restarted.stop();
    await log.close();
  }, 60_000);
});

describe('a logged trace export request that cannot be read back', () => {
  it('goes to the dead-letter file whole, and the requests beside it are stored', async () => {
    const { log, errors, writer, deadLetterFile } = await openWriter();
    const spans = await recordSpans((tracer) => tracer.startSpan('readable request').end());
    const readable = traceRequestRecord(
      {
        tenant: 'unreadable-beside',
        encoding: 'protobuf',
        limits: { maxAttributeBytes: 1 << 20 },
        body: Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!),
      },
      1,
    );
    // What a newer release's log record of another format looks like to this one.
    const unreadable = { table: 'otlp_traces' as const, rows: 1, payload: Buffer.from([9, 0, 0, 0, 0, 0, 0, 0, 1]) };
    await log.append([unreadable]);
    await log.append([readable]);
    writer.start();
    await expect.poll(() => log.pendingBytes, { timeout: 30_000 }).toBe(0);
    await writer.stop();

    const result = await store.client.query({
      query: "SELECT name FROM spans FINAL WHERE tenant = 'unreadable-beside'",
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ name: 'readable request' }]);
    const [deadLetter] = readFileSync(deadLetterFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { table: string; error: string; request_base64: string });
    expect(deadLetter).toMatchObject({ table: 'otlp_traces', request_base64: unreadable.payload.toString('base64') });
    expect(deadLetter!.error).toMatch(/cannot be read back: .*format 9/);
    expect(errors.some((message) => message.startsWith('moved a logged trace export request'))).toBe(true);
    expect(writer.deadLetter.rows).toBe(1);
    await log.close();
  }, 60_000);
});
