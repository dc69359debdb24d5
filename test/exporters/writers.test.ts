import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { queryAsync } from 'chdb';
import { describe, expect, it } from 'vitest';
import { convertBatch } from '../../src/exporters/convert-batch.ts';
import { defaultFormatOptions, type FormatOptions } from '../../src/exporters/export-format.ts';
import { exportFormats, getExportFormat } from '../../src/exporters/formats/index.ts';
import { parquetJsonColumnsFor, parquetStructureFor } from '../../src/exporters/run-export.ts';
import { inMemoryParquetConverter } from '../../src/exporters/writers/parquet-converter.ts';
import { parquetColumns, type ParquetType } from '../../src/exporters/writers/parquet-structure.ts';
import { FileExistsError } from '../../src/exporters/writers/atomic-file.ts';
import { openRecordWriter } from '../../src/exporters/writers/record-writer.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';
import { bytePinnedTrajectories, optionVariants } from './golden-exports.ts';
import { goldenTrajectories } from './golden-trajectories.ts';

const records = [
  { a: 1, text: 'héllo\nworld' },
  { a: 2, text: '' },
];

/** The rows as ClickHouse reads them, JSON columns as their text (ClickHouse's JSON type would re-encode them). */
async function readParquet(path: string): Promise<Array<Record<string, any>>> {
  const result = await queryAsync(
    `SELECT * FROM file('${path}', Parquet) SETTINGS output_format_json_quote_64bit_integers = 0, input_format_parquet_enable_json_parsing = 0`,
    { format: 'JSONEachRow' },
  );
  return result
    .text()
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, any>);
}

/** What the exporters pass the writer for `format`: structure, converter and the columns declared JSON. */
function parquetFor(format: ReturnType<typeof getExportFormat>, options: FormatOptions) {
  return {
    structure: parquetStructureFor(format, options),
    converter: inMemoryParquetConverter(),
    jsonColumns: parquetJsonColumnsFor(format, options),
  };
}

const scalarDefaults = { String: '', Int64: 0, Float64: 0, UInt8: 0, Bool: false } as const;

/**
 * What a record should read back as from Parquet with the derived `type`: JSON text in String columns, null or
 * the default where a field is absent. Keys the structure does not have stay, so a record field the Parquet
 * file lost makes the comparison fail.
 */
function asStored(value: unknown, type: ParquetType): unknown {
  switch (type.kind) {
    case 'scalar':
      if (value === undefined || value === null) return type.nullable ? null : scalarDefaults[type.name];
      if (type.name === 'String' && typeof value !== 'string') return JSON.stringify(value);
      return value;
    case 'array':
      return ((value ?? []) as unknown[]).map((element) => asStored(element, type.element));
    case 'tuple': {
      const object = (value ?? {}) as Record<string, unknown>;
      const stored: Record<string, unknown> = { ...object };
      for (const field of type.fields) stored[field.name] = asStored(object[field.name], field.type);
      return stored;
    }
  }
}

describe('record writers', () => {
  it('writes JSONL, one record per line', async () => {
    const path = join(temporaryDirectory(), 'out.jsonl');
    const writer = openRecordWriter(path, { encoding: 'jsonl' });
    for (const record of records) await writer.write(record);
    const written = await writer.close();
    expect(written.records).toBe(2);
    const text = readFileSync(path, 'utf8');
    expect(written.bytes).toBe(Buffer.byteLength(text));
    expect(
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual(records);
  });

  it('writes gzip JSONL that gunzips to the same lines', async () => {
    const path = join(temporaryDirectory(), 'out.jsonl.gz');
    const writer = openRecordWriter(path, { encoding: 'jsonl.gz' });
    for (let index = 0; index < 5000; index++) await writer.write({ index, padding: 'x'.repeat(100) });
    await writer.close();
    const lines = gunzipSync(readFileSync(path)).toString('utf8').trim().split('\n');
    expect(lines).toHaveLength(5000);
    expect(JSON.parse(lines[4999] as string)).toEqual({ index: 4999, padding: 'x'.repeat(100) });
  });

  it('with replaceExisting false refuses to replace an existing file, keeps it intact and removes its temporary file', async () => {
    const directory = temporaryDirectory();
    const path = join(directory, 'out.jsonl');
    writeFileSync(path, 'kept\n');
    const writer = openRecordWriter(path, { encoding: 'jsonl', replaceExisting: false });
    await writer.write(records[0]);
    await expect(writer.close()).rejects.toThrow(FileExistsError);
    expect(readFileSync(path, 'utf8')).toBe('kept\n');
    expect(readdirSync(directory)).toEqual(['out.jsonl']);
  });

  it('leaves nothing under the final name (and no temporary file) when aborted', async () => {
    const directory = temporaryDirectory();
    const path = join(directory, 'out.jsonl');
    const writer = openRecordWriter(path, { encoding: 'jsonl' });
    await writer.write(records[0]);
    await writer.abort();
    expect(readdirSync(directory)).toEqual([]);
  });

  it('leaves nothing under the final name when the parquet conversion fails', async () => {
    const directory = temporaryDirectory();
    const path = join(directory, 'out.parquet');
    const writer = openRecordWriter(path, {
      encoding: 'parquet',
      parquet: { structure: 'a UInt8, unexpected_column String', converter: inMemoryParquetConverter() },
    });
    await writer.write({ a: 1, other: 'field the structure does not have' });
    await expect(writer.close()).rejects.toThrow();
    expect(readdirSync(directory)).toEqual([]);
  });

  it('refuses a Parquet path that ClickHouse would read as a glob, naming the path', async () => {
    const directory = join(temporaryDirectory(), 'exports-{team}');
    mkdirSync(directory);
    const writer = openRecordWriter(join(directory, 'out.parquet'), {
      encoding: 'parquet',
      parquet: { structure: 'a UInt8', converter: inMemoryParquetConverter() },
    });
    await writer.write({ a: 1 });
    await expect(writer.close()).rejects.toThrow(/exports-\{team\}.*glob/);
    expect(readdirSync(directory)).toEqual([]);
  });

  it.each(exportFormats.map((format) => format.name))(
    'round-trips %s records through Parquet written by ClickHouse',
    async (name) => {
      const format = getExportFormat(name);
      const options = { ...defaultFormatOptions, weightThreshold: 0 };
      const { records: formatted } = convertBatch(format, goldenTrajectories, options);
      const path = join(temporaryDirectory(), `${name}.parquet`);
      const writer = openRecordWriter(path, {
        encoding: 'parquet',
        parquet: parquetFor(format, options),
      });
      for (const record of formatted) await writer.write(record);
      const written = await writer.close();
      expect(written.records).toBe(formatted.length);
      const rows = await readParquet(path);
      expect(rows).toHaveLength(formatted.length);
      expect(Object.keys(rows[0]!).sort()).toEqual(Object.keys(formatted[0] as object).sort());
    },
  );

  it.each(
    exportFormats.flatMap((format) => Object.keys(optionVariants).map((variant) => [format.name, variant] as const)),
  )('%s records (%s options) read back from Parquet field by field, nothing lost', async (name, variant) => {
    const format = getExportFormat(name);
    const options = optionVariants[variant] as FormatOptions;
    const { records: formatted } = convertBatch(format, bytePinnedTrajectories, options);
    const path = join(temporaryDirectory(), `${name}.parquet`);
    const writer = openRecordWriter(path, {
      encoding: 'parquet',
      parquet: parquetFor(format, options),
    });
    for (const record of formatted) await writer.write(record);
    await writer.close();
    const columns = {
      kind: 'tuple' as const,
      fields: parquetColumns(format.recordSchema, format.extraColumns?.(options) ?? []),
    };
    const expected = (JSON.parse(JSON.stringify(formatted)) as unknown[]).map((record) => asStored(record, columns));
    expect(await readParquet(path)).toEqual(expected);
  });

  it('fails the conversion, leaving no file, when a record has a key the structure lacks inside a tuple', async () => {
    const directory = temporaryDirectory();
    const path = join(directory, 'out.parquet');
    const writer = openRecordWriter(path, {
      encoding: 'parquet',
      parquet: { structure: 'message Tuple(role String)', converter: inMemoryParquetConverter() },
    });
    await writer.write({ message: { role: 'user', content: 'would be dropped silently' } });
    await expect(writer.close()).rejects.toThrow(/named tuple/);
    expect(readdirSync(directory)).toEqual([]);
  });

  it('keeps message structure in Parquet: roles, string arguments, tool call ids', async () => {
    const format = getExportFormat('openai-sft');
    const { records: formatted } = convertBatch(format, goldenTrajectories, defaultFormatOptions);
    const path = join(temporaryDirectory(), 'sft.parquet');
    const writer = openRecordWriter(path, {
      encoding: 'parquet',
      parquet: parquetFor(format, defaultFormatOptions),
    });
    for (const record of formatted) await writer.write(record);
    await writer.close();
    const [first] = await readParquet(path);
    expect(first!.messages.map((message: any) => message.role)).toEqual([
      'system',
      'user',
      'assistant',
      'tool',
      'assistant',
    ]);
    expect(first!.messages[2].tool_calls[0].function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(first!.messages[3].tool_call_id).toBe('call_1');
    expect(JSON.parse(first!.tools)[0].function.name).toBe('get_weather');
  });

  it('writes a valid empty Parquet file for zero records', async () => {
    const path = join(temporaryDirectory(), 'empty.parquet');
    const writer = openRecordWriter(path, {
      encoding: 'parquet',
      parquet: { structure: 'a UInt8', converter: inMemoryParquetConverter() },
    });
    const written = await writer.close();
    expect(written.records).toBe(0);
    expect(existsSync(path)).toBe(true);
    expect(await readParquet(path)).toEqual([]);
  });
});
