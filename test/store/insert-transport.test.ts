/**
 * With `stagedInserts`, the embedded store inserts through staging files ClickHouse reads itself (FROM INFILE; off
 * by default, docs/decisions/2026-12-02-insert-transport.md): rows still arrive, bad
 * rows are still bad data with ClickHouse's message, a full disk while staging is a retryable `unavailable`, and
 * no staging file outlives its insert or the crash of an earlier process.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../src/store/client.ts';
import { openMigratedStore } from '../../src/store/migrate.ts';
import {
  canStageIn,
  sqlStringLiteral,
  stagedInsertSettings,
  stagingDirectoryOf,
} from '../../src/store/insert-staging.ts';
import { StoreError } from '../../src/store/store-error.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

/** While set, writing a staging file fails the way a full disk does: part of the file written, then ENOSPC. */
const diskFull = vi.hoisted(() => ({ enabled: false }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    writeFile: async (...args: Parameters<typeof actual.writeFile>) => {
      if (!diskFull.enabled) return actual.writeFile(...args);
      await actual.writeFile(args[0], '{"tenant": "default", "span_id": "00', args[2]);
      // /dev/full answers every write with the kernel's own ENOSPC.
      await actual.writeFile('/dev/full', 'x');
      throw new Error('/dev/full accepted a write');
    },
  };
});

const dataDir = temporaryDirectory();
const staging = stagingDirectoryOf(dataDir);
let store: Store;

beforeAll(async () => {
  // What a process killed between writing and removing its staging files leaves behind.
  // Their rows are valid: a leftover must be removed, never inserted (the write-ahead log replays them if needed).
  mkdirSync(join(staging, 'nested'), { recursive: true });
  writeFileSync(join(staging, 'left-by-a-crash.jsonl'), spanRows('left-by-a-crash', 5));
  writeFileSync(join(staging, 'nested', 'also-left.jsonl'), spanRows('left-by-a-crash', 5));
  store = await openMigratedStore({ dataDir, stagedInserts: true });
});
afterAll(async () => {
  await store?.close();
});

function stagingFiles(): string[] {
  try {
    return readdirSync(staging);
  } catch {
    return [];
  }
}

function spanRows(tenant: string, count: number): Buffer {
  const lines = Array.from({ length: count }, (_, index) =>
    JSON.stringify({
      tenant,
      trace_id: 'a'.repeat(32),
      span_id: index.toString(16).padStart(16, '0'),
      name: `span ${index}`,
      attributes: { 'gen_ai.request.model': 'gpt-4o', index },
      finish_reasons: ['stop'],
    }),
  );
  return Buffer.from(lines.join('\n') + '\n');
}

async function countRows(tenant: string): Promise<number> {
  const result = await store.client.query({
    query: 'SELECT count() AS n FROM spans FINAL WHERE tenant = {tenant:String}',
    query_params: { tenant },
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]?.n);
}

async function insertFailure(rows: Buffer): Promise<unknown> {
  try {
    await store.insertJsonEachRow('spans', rows);
  } catch (error) {
    return error;
  }
  throw new Error('the insert was accepted');
}

describe('embedded inserts through staging files', () => {
  it('removes staging files an earlier process left behind when the store opens, inserting none of them', async () => {
    expect(stagingFiles()).toEqual([]);
    await store.insertJsonEachRow('spans', spanRows('after-a-crash', 5));
    expect(await countRows('after-a-crash')).toBe(5);
    expect(await countRows('left-by-a-crash')).toBe(0);
  });

  it('keeps two inserts at once apart: each stores its own rows, once', async () => {
    await Promise.all([
      store.insertJsonEachRow('spans', spanRows('concurrent-a', 3000)),
      store.insertJsonEachRow('spans', spanRows('concurrent-b', 2000)),
    ]);
    expect(await countRows('concurrent-a')).toBe(3000);
    expect(await countRows('concurrent-b')).toBe(2000);
    const stored = await store.client.query({
      query: "SELECT count() AS n FROM spans WHERE tenant IN ('concurrent-a', 'concurrent-b')",
      format: 'JSONEachRow',
    });
    // Without FINAL: a staging file read twice would show up as duplicates here.
    expect(Number((await stored.json<{ n: string | number }>())[0]?.n)).toBe(5000);
    expect(stagingFiles()).toEqual([]);
  });

  it('stores every row of a batch, JSON columns as their text, and leaves no staging file', async () => {
    await store.insertJsonEachRow('spans', spanRows('stored', 2500));
    expect(await countRows('stored')).toBe(2500);
    const result = await store.client.query({
      query: "SELECT attributes, finish_reasons FROM spans FINAL WHERE tenant = 'stored' AND name = 'span 7'",
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([
      { attributes: '{"gen_ai.request.model":"gpt-4o","index":7}', finish_reasons: ['stop'] },
    ]);
    expect(stagingFiles()).toEqual([]);
  });

  it('classifies a batch with one bad row as bad data with ClickHouse message, stores none of it', async () => {
    const rows = Buffer.concat([
      spanRows('bad-batch', 3),
      Buffer.from('{"tenant": "bad-batch", "span_id": "0000000000000009", "flags": "not a number"}\n'),
    ]);
    const error = await insertFailure(rows);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({
      kind: 'bad_data',
      clickhouseCode: 27,
      clickhouseCodeName: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
    });
    expect((error as StoreError).message).toContain('while reading the value of key flags');
    expect(await countRows('bad-batch')).toBe(0);
    expect(stagingFiles()).toEqual([]);
  });

  it('reports a full disk while staging as unavailable (retryable) and removes the partial file', async () => {
    diskFull.enabled = true;
    let error: unknown;
    try {
      error = await insertFailure(spanRows('disk-full', 3));
    } finally {
      diskFull.enabled = false;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ kind: 'unavailable', clickhouseCode: undefined });
    expect((error as StoreError).message).toContain('ENOSPC');
    expect(stagingFiles()).toEqual([]);
    // Once there is room again the same rows go in.
    await store.insertJsonEachRow('spans', spanRows('disk-full', 3));
    expect(await countRows('disk-full')).toBe(3);
  });

  it('keeps an insert into a table that does not exist unavailable', async () => {
    const error = await store.insertJsonEachRow('no_such_table', spanRows('x', 1)).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toMatchObject({ kind: 'unavailable', clickhouseCode: 60 });
    expect(stagingFiles()).toEqual([]);
  });

  it('accepts an empty batch as inserting nothing', async () => {
    await store.insertJsonEachRow('spans', Buffer.alloc(0));
    expect(stagingFiles()).toEqual([]);
  });
});

describe('staging paths', () => {
  it('refuses to stage in a directory FROM INFILE would expand as a glob', () => {
    expect(canStageIn('/var/lib/trajectories/insert-staging')).toBe(true);
    for (const path of ['/data/run*/x', '/data/run?/x', '/data/{a,b}/x', '/data/[ab]/x']) {
      expect(canStageIn(path)).toBe(false);
    }
  });

  it('parses on one thread on two cores only, where it was measured faster', () => {
    expect(stagedInsertSettings(1)).toEqual({ input_format_parallel_parsing: 0 });
    expect(stagedInsertSettings(2)).toEqual({ input_format_parallel_parsing: 0 });
    expect(stagedInsertSettings(8)).toEqual({});
  });

  it('quotes paths as ClickHouse string literals', () => {
    expect(sqlStringLiteral("/tmp/it's\\here")).toBe("'/tmp/it\\'s\\\\here'");
  });
});
