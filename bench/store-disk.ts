/**
 * Bytes on disk of a stopped receiver's store, measured in a process of its own (libchdb holds one data
 * directory per process, and the benchmark process already holds its raw-insert store):
 * `node bin/run-ts.mjs bench/store-disk.ts <data-dir> <content-tables> <distinct-contents.jsonl>`.
 *
 * The tables holding span content (the tables the receiver writes rows into, comma-separated) are merged with
 * `OPTIMIZE TABLE ... FINAL` and their active parts' `data_compressed_bytes` summed; every other table is listed
 * too. Against it: the distinct content inserted into a one-column `String CODEC(ZSTD(3))` table of the same
 * store, merged and measured the same way. Prints one JSON line, a `StoreDisk`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type Store } from '../src/store/client.ts';
import { assertIdentifier } from '../src/store/sql-files.ts';

export interface StoreDisk {
  /** Compressed bytes of active parts per table, every MergeTree table of the database that holds any. */
  tables: Record<string, number>;
  contentBytes: number;
  distinctContentCompressedBytes: number;
  /** The largest columns of the content tables, compressed bytes, as `table.column`: where the bytes go. */
  largestColumns: Array<{ column: string; bytes: number }>;
}

const distinctTable = 'bench_distinct_contents';

async function compressedBytes(store: Store): Promise<Record<string, number>> {
  const result = await store.client.query({
    query: `SELECT table, sum(data_compressed_bytes) AS bytes FROM system.parts
            WHERE database = currentDatabase() AND active GROUP BY table ORDER BY table`,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ table: string; bytes: string | number }>();
  return Object.fromEntries(rows.map((row) => [row.table, Number(row.bytes)]));
}

export async function measureStoreDisk(
  dataDir: string,
  contentTables: string[],
  distinctContentRows: Buffer,
): Promise<StoreDisk> {
  const store = await openStore({ dataDir });
  try {
    for (const table of contentTables) {
      const name = assertIdentifier(table, 'table name');
      // Wide parts keep a file per column, so system.columns can say what each column costs (compact parts,
      // ClickHouse's default for small parts, report 0). The bytes of the table are the same within a few %.
      await store.client.command({
        query: `ALTER TABLE ${name} MODIFY SETTING min_bytes_for_wide_part = 0, min_rows_for_wide_part = 0`,
      });
      await store.client.command({ query: `OPTIMIZE TABLE ${name} FINAL` });
    }
    const tables = await compressedBytes(store);
    const columns = await store.client.query({
      query: `SELECT concat(table, '.', name) AS column, data_compressed_bytes AS bytes FROM system.columns
              WHERE database = currentDatabase() AND has({tables:Array(String)}, table) AND data_compressed_bytes > 0
              ORDER BY data_compressed_bytes DESC LIMIT 8`,
      query_params: { tables: contentTables },
      format: 'JSONEachRow',
    });
    const largestColumns = (await columns.json<{ column: string; bytes: string | number }>()).map((row) => ({
      column: row.column,
      bytes: Number(row.bytes),
    }));
    const contentBytes = contentTables.reduce((total, table) => total + (tables[table] ?? 0), 0);
    await store.client.command({
      query: `CREATE TABLE ${distinctTable} (content String CODEC(ZSTD(3))) ENGINE = MergeTree ORDER BY tuple()`,
    });
    await store.insertJsonEachRow(distinctTable, distinctContentRows);
    await store.client.command({ query: `OPTIMIZE TABLE ${distinctTable} FINAL` });
    const distinctContentCompressedBytes = (await compressedBytes(store))[distinctTable] ?? 0;
    await store.client.command({ query: `DROP TABLE ${distinctTable}` });
    return { tables, contentBytes, distinctContentCompressedBytes, largestColumns };
  } finally {
    await store.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const [dataDir, tables, distinctFile] = process.argv.slice(2);
  if (!dataDir || !tables || !distinctFile) {
    console.error('usage: store-disk.ts <data-dir> <content-tables> <distinct-contents.jsonl>');
    process.exit(2);
  }
  const disk = await measureStoreDisk(dataDir, tables.split(','), readFileSync(distinctFile));
  process.stdout.write(`${JSON.stringify(disk)}\n`);
  process.exit(0);
}
