/**
 * Store failures on the embedded engine become one typed StoreError: rows ClickHouse cannot parse are bad data
 * (with the real ClickHouse code and name), everything else is the store being unavailable. The code tables are
 * checked against the engine's own names, so a mistyped code cannot classify the wrong failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/client.ts';
import { openMigratedStore } from '../../src/store/migrate.ts';
import {
  batchMayCauseCodes,
  dataErrorCodes,
  StoreError,
  toStoreError,
  unavailableErrorCodes,
} from '../../src/store/store-error.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

let store: Store;

beforeAll(async () => {
  store = await openMigratedStore({ dataDir: temporaryDirectory() });
});
afterAll(async () => {
  await store?.close();
});

async function insertFailure(table: string, rows: string): Promise<unknown> {
  try {
    await store.insertJsonEachRow(table, Buffer.from(rows));
  } catch (error) {
    return error;
  }
  throw new Error(`the insert into ${table} was accepted`);
}

describe('store errors on the embedded engine', () => {
  it('classifies a row ClickHouse cannot parse as bad data, with its code and name', async () => {
    const error = await insertFailure(
      'spans',
      '{"tenant": "default", "span_id": "0000000000000001", "flags": "not a number"}\n',
    );
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({
      kind: 'bad_data',
      clickhouseCode: 27,
      clickhouseCodeName: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
    });
    expect((error as StoreError).message).toContain('while reading the value of key flags');
    expect((error as StoreError).cause).toMatchObject({ clickhouseCode: 27 });
  });

  it('classifies a row cut off in the middle of a string as bad data', async () => {
    const error = await insertFailure('spans', '{"tenant": "default", "span_id": "00000000\n');
    expect(error).toMatchObject({
      kind: 'bad_data',
      clickhouseCode: 26,
      clickhouseCodeName: 'CANNOT_PARSE_QUOTED_STRING',
    });
  });

  it('classifies a negative number in an unsigned column as bad data', async () => {
    const error = await insertFailure('spans', '{"tenant": "default", "span_id": "0000000000000001", "flags": -1}\n');
    expect(error).toMatchObject({ kind: 'bad_data', clickhouseCode: 72, clickhouseCodeName: 'CANNOT_PARSE_NUMBER' });
  });

  it('classifies an insert into a table that does not exist (store not migrated) as unavailable', async () => {
    const error = await insertFailure('no_such_table', '{"tenant": "default"}\n');
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({
      kind: 'unavailable',
      clickhouseCode: 60,
      clickhouseCodeName: 'UNKNOWN_TABLE',
      storeWide: true,
    });
  });

  it('classifies one insert block over too many partitions as bad data (a smaller piece goes in), not the store', async () => {
    await store.client.command({
      query:
        'CREATE TABLE IF NOT EXISTS partition_probe (month UInt32) ENGINE = MergeTree PARTITION BY month ORDER BY month',
    });
    const rows = Array.from({ length: 120 }, (_, month) => JSON.stringify({ month })).join('\n') + '\n';
    const error = await insertFailure('partition_probe', rows);
    expect(error).toMatchObject({ kind: 'bad_data', clickhouseCode: 252, clickhouseCodeName: 'TOO_MANY_PARTS' });
    expect((error as StoreError).message).toContain('Too many partitions for single INSERT block');
    // Merges falling behind carries the same code and is the store's state: retried without limit.
    const merges = toStoreError(
      Object.assign(
        new Error(
          'Code: 252. DB::Exception: Too many parts (3001 with average size of 1.00 KiB) in table. Merges are processing significantly slower than inserts. (TOO_MANY_PARTS)',
        ),
        { clickhouseCode: 252 },
      ),
    );
    expect(merges).toMatchObject({ kind: 'unavailable', clickhouseCodeName: 'TOO_MANY_PARTS', storeWide: true });
  });

  it('classifies a lone surrogate escape as bad data', async () => {
    const error = await insertFailure('spans', '{"tenant": "default", "span_id": "1", "name": "\\ud800"}\n');
    expect(error).toMatchObject({ kind: 'bad_data', clickhouseCode: 25 });
  });

  it('marks unavailable failures a batch may cause itself as not store-wide, so the writer retries them a bounded number of times', () => {
    const classify = (code: number) =>
      toStoreError(Object.assign(new Error(`Code: ${code}. DB::Exception: x`), { clickhouseCode: code }));
    expect(classify(241)).toMatchObject({
      kind: 'unavailable',
      clickhouseCodeName: 'MEMORY_LIMIT_EXCEEDED',
      storeWide: false,
    });
    expect(classify(159)).toMatchObject({ kind: 'unavailable', storeWide: false });
    // The limit a message names tells one query's memory (maybe this batch) from the server's (any insert fails).
    const memoryLimit = (limit: string) =>
      toStoreError(
        Object.assign(
          new Error(
            `Code: 241. DB::Exception: Memory limit (${limit}) exceeded: would use 3.50 GiB (attempt to allocate chunk of 4194304 bytes), maximum: 3.47 GiB. (MEMORY_LIMIT_EXCEEDED)`,
          ),
          { clickhouseCode: 241 },
        ),
      );
    expect(memoryLimit('total')).toMatchObject({ kind: 'unavailable', storeWide: true });
    expect(memoryLimit('for query')).toMatchObject({ kind: 'unavailable', storeWide: false });
    expect(classify(47)).toMatchObject({ kind: 'unavailable', storeWide: false });
    expect(classify(164)).toMatchObject({ kind: 'unavailable', clickhouseCodeName: 'READONLY', storeWide: true });
    expect(classify(27)).toMatchObject({ kind: 'bad_data', storeWide: false });
    expect(toStoreError(new Error('connect ECONNREFUSED 127.0.0.1:8123'))).toMatchObject({
      kind: 'unavailable',
      storeWide: false,
    });
    for (const code of batchMayCauseCodes) expect(unavailableErrorCodes.has(code), String(code)).toBe(true);
  });

  it('retries a code it does not know as unavailable, named from the error itself', async () => {
    const thrown = await store.client.query({ query: 'SELECT no_such_function()' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(thrown).toBeDefined();
    const error = toStoreError(thrown);
    expect(dataErrorCodes.has(46) || unavailableErrorCodes.has(46)).toBe(false);
    expect(error).toMatchObject({
      kind: 'unavailable',
      clickhouseCode: 46,
      clickhouseCodeName: 'UNKNOWN_FUNCTION',
      storeWide: false,
    });
    expect(toStoreError(error)).toBe(error);
  });

  it('names every classified code as the engine does, and no code is both bad data and unavailable', async () => {
    const codes = [...dataErrorCodes, ...unavailableErrorCodes];
    const result = await store.client.query({
      query:
        'SELECT code, errorCodeToName(code) AS name FROM (SELECT arrayJoin({codes:Array(UInt32)}) AS code) ORDER BY code',
      query_params: { codes: codes.map(([code]) => code) },
      format: 'JSONEachRow',
    });
    const names = new Map(
      (await result.json<{ code: number; name: string }>()).map((row) => [Number(row.code), row.name]),
    );
    expect(Object.fromEntries(codes)).toEqual(Object.fromEntries(codes.map(([code]) => [code, names.get(code)])));
    expect([...dataErrorCodes.keys()].filter((code) => unavailableErrorCodes.has(code))).toEqual([]);
  });
});

describe('reads through the store client', () => {
  it('reject with a classified StoreError too, so callers never see ClickHouse error shapes', async () => {
    const failure = await store.client
      .query({ query: 'SELECT count() FROM no_such_table', format: 'JSONEachRow' })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(StoreError);
    expect(failure).toMatchObject({ clickhouseCode: 60, clickhouseCodeName: 'UNKNOWN_TABLE' });
    // Successful reads are untouched.
    const rows = await (await store.client.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' })).json();
    expect(rows).toEqual([{ one: 1 }]);
  });
});
