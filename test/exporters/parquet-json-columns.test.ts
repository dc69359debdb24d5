import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { queryAsync } from 'chdb';
import { describe, expect, it } from 'vitest';
import { markJsonColumns } from '../../src/exporters/writers/parquet-json-columns.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';
import { readParquetObjects } from './export-files.ts';

/** A Parquet file written by ClickHouse from one SELECT. */
async function writeParquet(select: string): Promise<string> {
  const path = join(temporaryDirectory('json-columns-'), 'rows.parquet');
  await queryAsync(`INSERT INTO FUNCTION file('${path}', Parquet) ${select}`);
  return path;
}

async function logicalTypes(path: string): Promise<Record<string, string>> {
  const result = await queryAsync(`SELECT * FROM file('${path}', ParquetMetadata)`, { format: 'JSONEachRow' });
  const metadata = JSON.parse(result.text()) as { columns: Array<{ path: string; logical_type: string }> };
  return Object.fromEntries(metadata.columns.map((column) => [column.path, column.logical_type]));
}

describe('declaring JSON columns in a Parquet file ClickHouse wrote', () => {
  it('changes only the annotation: same size, same text, nested leaves included', async () => {
    const path = await writeParquet(
      `SELECT ['{"a":null,"b":{}}', '{"c":[1]}']::Array(String) AS items, tuple('{"d":1}', 'plain')::Tuple(doc String, note String) AS pair, 'text' AS label`,
    );
    const size = statSync(path).size;
    await markJsonColumns(path, ['items.list.element', 'pair.doc']);
    expect(statSync(path).size).toBe(size);
    expect(await logicalTypes(path)).toEqual({
      'items.list.element': 'JSON',
      'pair.doc': 'JSON',
      'pair.note': 'String',
      label: 'String',
    });
    expect(await readParquetObjects(path)).toEqual([
      { items: [{ a: null, b: {} }, { c: [1] }], pair: { doc: { d: 1 }, note: 'plain' }, label: 'text' },
    ]);
  });

  it('refuses a path the file lacks, naming its columns, and leaves the file as it was', async () => {
    const path = await writeParquet(`SELECT '{}' AS doc, 1::Int64 AS count`);
    const before = readFileSync(path);
    await expect(markJsonColumns(path, ['doc', 'messages.list.element'])).rejects.toThrow(
      'has no Parquet column messages.list.element (columns: doc, count)',
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a column that does not hold text', async () => {
    const path = await writeParquet(`SELECT 1::Int64 AS count`);
    await expect(markJsonColumns(path, ['count'])).rejects.toThrow('Parquet column count is not a byte array');
  });

  it('refuses a file that is not plaintext Parquet', async () => {
    const path = join(temporaryDirectory('json-columns-'), 'rows.parquet');
    await queryAsync(`INSERT INTO FUNCTION file('${path}', JSONEachRow) SELECT 1 AS a`);
    await expect(markJsonColumns(path, ['a'])).rejects.toThrow('is not a plaintext Parquet file');
  });
});
