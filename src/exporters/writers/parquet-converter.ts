/**
 * Parquet is written by ClickHouse: records go to a temporary JSONL file, then ClickHouse reads it with the
 * structure derived from the format's record schema (parquet-structure.ts; free-form objects and arrays read as
 * JSON text) and writes Parquet with `INSERT INTO FUNCTION file(...)`. A key the structure lacks fails the
 * conversion, at the top level and inside tuples alike, rather than vanishing from the training data. That needs a ClickHouse that sees this machine's files, so it is always an
 * embedded one in this process:
 * - a process that holds an embedded store (the receiver, or `export --data-dir`) uses that store's client:
 *   libchdb binds one data directory per process, so a second, in-memory session is not allowed there;
 * - any other process (CLI exporting through the receiver API or a ClickHouse server, a receiver on a server)
 *   loads chdb lazily and uses its default in-memory session.
 * A ClickHouse server is never used for this: its file() would write on the server's disk.
 */
import type { ClickHouseClient } from '@clickhouse/client';

export interface ParquetConverter {
  convert(jsonlPath: string, parquetPath: string, structure: string): Promise<void>;
}

const readSettings = [
  'input_format_json_read_objects_as_strings = 1',
  'input_format_json_read_arrays_as_strings = 1',
  'input_format_json_read_numbers_as_strings = 1',
  'input_format_skip_unknown_fields = 0',
  // ClickHouse drops unknown keys of a named tuple by default; here they are an error like top-level ones.
  'input_format_json_ignore_unknown_keys_in_named_tuple = 0',
  'input_format_null_as_default = 1',
  "output_format_parquet_compression_method = 'zstd'",
].join(', ');

function sqlString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** ClickHouse's file() expands these as globs, so a path holding them would name other files. */
const globCharacters = /[*?{}]/;

export function conversionQuery(jsonlPath: string, parquetPath: string, structure: string): string {
  for (const path of [jsonlPath, parquetPath]) {
    if (globCharacters.test(path)) {
      throw new Error(
        `Parquet output path ${JSON.stringify(path)} contains *, ?, { or }, which ClickHouse reads as a glob: choose a path without them`,
      );
    }
  }
  return (
    `INSERT INTO FUNCTION file(${sqlString(parquetPath)}, Parquet, ${sqlString(structure)}) ` +
    `SELECT * FROM file(${sqlString(jsonlPath)}, JSONEachRow, ${sqlString(structure)}) SETTINGS ${readSettings}`
  );
}

/** Converts with an embedded store's client (the process's own chdb session). */
export function storeParquetConverter(client: ClickHouseClient): ParquetConverter {
  return {
    async convert(jsonlPath, parquetPath, structure) {
      await client.command({ query: conversionQuery(jsonlPath, parquetPath, structure) });
    },
  };
}

/** Converts with chdb's in-memory session; only for processes that have not opened a data directory. */
export function inMemoryParquetConverter(): ParquetConverter {
  return {
    async convert(jsonlPath, parquetPath, structure) {
      const { queryAsync } = await import('chdb');
      await queryAsync(conversionQuery(jsonlPath, parquetPath, structure));
    },
  };
}

/** The converter for this process: its embedded store's client when it has one, else in-memory chdb. */
export function parquetConverterFor(
  store: { embedded: boolean; client: ClickHouseClient } | undefined,
): ParquetConverter {
  return store?.embedded ? storeParquetConverter(store.client) : inMemoryParquetConverter();
}
