import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreWriter } from '../../collector/ingest/store-writer.ts';
import { WriteAheadLog, type WalRecord } from '../../collector/ingest/write-ahead-log.ts';
import type { Store } from '../../src/store/client.ts';
import { openMigratedStore } from '../../src/store/migrate.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

function record(text: string, rows = 1): WalRecord {
  return { table: 'spans', rows, payload: Buffer.from(text) };
}

async function readAll(log: WriteAheadLog): Promise<string[]> {
  const { records } = await log.read(log.checkpoint, 1 << 30);
  return records.map((entry) => entry.payload.toString());
}

describe('write-ahead log', () => {
  it('reads back what was appended, in order, across segment rotation, and forgets committed segments', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(directory, { segmentBytes: 64 });
    for (let index = 0; index < 10; index++) await log.append([record(`record-${index}-`.padEnd(40, 'x'))]);
    expect(readdirSync(directory).filter((file) => file.endsWith('.wal')).length).toBeGreaterThan(3);
    const seen: string[] = [];
    let position = log.checkpoint;
    for (;;) {
      const { records, end, bytes } = await log.read(position, 1 << 20);
      if (records.length === 0 && end.segment === position.segment && end.offset === position.offset) break;
      seen.push(...records.map((entry) => entry.payload.toString().split('-').slice(0, 2).join('-')));
      await log.commit(end, bytes);
      position = end;
    }
    expect(seen).toEqual(Array.from({ length: 10 }, (_, index) => `record-${index}`));
    expect(log.pendingBytes).toBe(0);
    expect(readdirSync(directory).filter((file) => file.endsWith('.wal')).length).toBe(1);
    await log.close();
  });

  it('cuts off a torn record at the tail on reopen and keeps every whole one', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(directory);
    await log.append([record('first'), record('second')]);
    await log.close();
    const segment = readdirSync(directory).find((file) => file.endsWith('.wal'))!;
    // A record header promising 100 bytes followed by only 3: what a power loss mid-write leaves.
    appendFileSync(join(directory, segment), Buffer.from([100, 0, 0, 0, 1, 2, 3, 4, 0, 1, 0, 0, 0, 0x61, 0x62, 0x63]));
    const reopened = await WriteAheadLog.open(directory);
    expect(await readAll(reopened)).toEqual(['first', 'second']);
    await reopened.append([record('third')]);
    expect(await readAll(reopened)).toEqual(['first', 'second', 'third']);
    await reopened.close();
  });

  it('refuses a log another running process owns, and takes over one whose owner is gone', async () => {
    const directory = temporaryDirectory();
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, 'owner.pid'), String(process.ppid));
    await expect(WriteAheadLog.open(directory)).rejects.toThrow(
      `belongs to another running receiver (pid ${process.ppid})`,
    );
    const exited = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(directory, 'owner.pid'), String(exited));
    const log = await WriteAheadLog.open(directory);
    expect(readFileSync(join(directory, 'owner.pid'), 'utf8')).toBe(String(process.pid));
    await log.close();
  });

  it('resumes from the checkpoint after a restart', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(directory);
    await log.append([record('stored')]);
    const { end, bytes } = await log.read(log.checkpoint, 1 << 20);
    await log.commit(end, bytes);
    await log.append([record('not yet stored')]);
    await log.close();
    const reopened = await WriteAheadLog.open(directory);
    expect(await readAll(reopened)).toEqual(['not yet stored']);
    expect(reopened.pendingBytes).toBeGreaterThan(0);
    await reopened.close();
  });
});

describe('store writer', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openMigratedStore({ dataDir: temporaryDirectory() });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('moves only the row ClickHouse rejects to the dead-letter file and stores every other row, even of the same request', async () => {
    const directory = temporaryDirectory();
    const log = await WriteAheadLog.open(join(directory, 'wal'), { sync: 'none' });
    const row = (spanId: string) =>
      JSON.stringify({ tenant: 'default', trace_id: 'ab'.repeat(16), span_id: spanId, name: 'x', kind: 'other' }) +
      '\n';
    const badRow = '{"tenant": "default", "span_id": [1,2,3]\n';
    await log.append([
      record(row('0000000000000001')),
      record(row('0000000000000003') + badRow + row('0000000000000004'), 3),
      record(row('0000000000000002')),
    ]);
    const errors: string[] = [];
    const writer = new StoreWriter(store, log, directory, {
      lingerMillis: 1,
      onError: (error) => errors.push(error.message),
    });
    writer.start();
    await expect.poll(() => log.pendingBytes, { timeout: 20_000 }).toBe(0);
    await writer.stop();
    const result = await store.client.query({
      query: 'SELECT span_id FROM spans FINAL ORDER BY span_id',
      format: 'JSONEachRow',
    });
    expect((await result.json<{ span_id: string }>()).map((entry) => entry.span_id)).toEqual([
      '0000000000000001',
      '0000000000000002',
      '0000000000000003',
      '0000000000000004',
    ]);
    const deadLetters = readFileSync(join(directory, 'dead-letter.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { rows: string; error: string });
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]!.rows).toContain('"span_id": [1,2,3]');
    expect(errors.some((message) => message.includes('dead-letter'))).toBe(true);
    expect(writer.lastOutcome).toEqual({
      status: 'dead_lettered',
      rows: 4,
      deadLetteredRows: 1,
      droppedRows: 0,
      reason: expect.stringContaining('CANNOT_READ_ALL_DATA'),
    });
    await log.close();
  });

  it('keeps flushing after the checkpoint could not be written for a while (disk error), losing nothing', async () => {
    const directory = temporaryDirectory();
    const walDirectory = join(directory, 'wal');
    const log = await WriteAheadLog.open(walDirectory, { sync: 'none' });
    // A directory where the checkpoint's temporary file goes makes every checkpoint write fail, like EIO would.
    mkdirSync(join(walDirectory, 'checkpoint.json.tmp'));
    const row = (spanId: string) =>
      JSON.stringify({ tenant: 'disk-test', trace_id: 'cd'.repeat(16), span_id: spanId, name: 'x', kind: 'other' }) +
      '\n';
    await log.append([record(row('00000000000000a1'))]);
    const errors: string[] = [];
    const writer = new StoreWriter(store, log, directory, {
      lingerMillis: 1,
      onError: (error) => errors.push(error.message),
    });
    writer.start();
    await expect.poll(() => errors.length, { timeout: 10_000 }).toBeGreaterThan(1);
    expect(writer.storeFailing).toBe(true);
    rmSync(join(walDirectory, 'checkpoint.json.tmp'), { recursive: true });
    await log.append([record(row('00000000000000a2'))]);
    await expect.poll(() => log.pendingBytes, { timeout: 20_000 }).toBe(0);
    expect(writer.storeFailing).toBe(false);
    await writer.stop();
    const result = await store.client.query({
      query: "SELECT span_id FROM spans FINAL WHERE tenant = 'disk-test' ORDER BY span_id",
      format: 'JSONEachRow',
    });
    expect((await result.json<{ span_id: string }>()).map((entry) => entry.span_id)).toEqual([
      '00000000000000a1',
      '00000000000000a2',
    ]);
    await log.close();
  });
});
