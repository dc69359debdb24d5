/**
 * A data directory whose path holds characters FROM INFILE expands as a glob (`{a,b}` here) keeps chdb's
 * rawInsert even when `stagedInserts` asks for staging files. Staged by name, FROM INFILE would look for `.../run-a/...` and `.../run-b/...`, find neither, and
 * report success with no row inserted (checked: the test fails that way when staging is forced), so the writer
 * would move the checkpoint past rows that never arrived. Its own file because libchdb binds one data directory
 * per process.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/client.ts';
import { canStageIn, stagingDirectoryOf } from '../../src/store/insert-staging.ts';
import { openMigratedStore } from '../../src/store/migrate.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

const dataDir = join(temporaryDirectory(), 'run-{a,b}');
let store: Store;

beforeAll(async () => {
  mkdirSync(dataDir);
  store = await openMigratedStore({ dataDir, stagedInserts: true });
});
afterAll(async () => {
  await store?.close();
});

describe('embedded inserts in a data directory with glob characters in its path', () => {
  it('store every row through rawInsert and stage nothing', async () => {
    expect(canStageIn(stagingDirectoryOf(dataDir))).toBe(false);
    const rows = Array.from({ length: 50 }, (_, index) =>
      JSON.stringify({ tenant: 'glob', trace_id: 'b'.repeat(32), span_id: index.toString(16).padStart(16, '0') }),
    );
    await store.insertJsonEachRow('spans', Buffer.from(rows.join('\n') + '\n'));
    const result = await store.client.query({
      query: "SELECT count() AS n FROM spans FINAL WHERE tenant = 'glob'",
      format: 'JSONEachRow',
    });
    expect(Number((await result.json<{ n: string | number }>())[0]?.n)).toBe(50);
    expect(existsSync(stagingDirectoryOf(dataDir))).toBe(false);
  });
});
