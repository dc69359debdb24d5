/**
 * By default the embedded store inserts through chdb's rawInsert, not staging files (docs/decisions/
 * 2026-12-02-insert-transport.md), and still removes staging files an earlier process (one run with
 * `stagedInserts`) left behind, without inserting them. Its own file because libchdb binds one data directory per
 * process.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/client.ts';
import { stagingDirectoryOf } from '../../src/store/insert-staging.ts';
import { openMigratedStore } from '../../src/store/migrate.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

const dataDir = temporaryDirectory();
const staging = stagingDirectoryOf(dataDir);
let store: Store;

function spanRows(tenant: string, count: number): Buffer {
  const lines = Array.from({ length: count }, (_, index) =>
    JSON.stringify({ tenant, trace_id: 'c'.repeat(32), span_id: index.toString(16).padStart(16, '0') }),
  );
  return Buffer.from(lines.join('\n') + '\n');
}

async function countRows(tenant: string): Promise<number> {
  const result = await store.client.query({
    query: 'SELECT count() AS n FROM spans FINAL WHERE tenant = {tenant:String}',
    query_params: { tenant },
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string | number }>())[0]?.n);
}

beforeAll(async () => {
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, 'left-by-a-crash.jsonl'), spanRows('left-by-a-crash', 5));
  store = await openMigratedStore({ dataDir });
});
afterAll(async () => {
  await store?.close();
});

describe('embedded inserts by default', () => {
  it('go through rawInsert: rows stored, no staging directory, leftovers removed and never inserted', async () => {
    expect(existsSync(staging)).toBe(false);
    await store.insertJsonEachRow('spans', spanRows('default-path', 40));
    expect(await countRows('default-path')).toBe(40);
    expect(await countRows('left-by-a-crash')).toBe(0);
    expect(existsSync(staging)).toBe(false);
  });
});
