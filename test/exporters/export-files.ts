/**
 * Exports trajectories the way `trajectories export` does (writeTrajectories, the in-memory ClickHouse converter
 * for Parquet) and reads the files back: JSONL as parsed lines, Parquet through hyparquet, an independent reader
 * that maps Parquet's JSON logical type to parsed values, as pyarrow (`arrow.json`) and Hugging Face `datasets`
 * (`Json()`) do.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { defaultFormatOptions, type FormatOptions } from '../../src/exporters/export-format.ts';
import { getExportFormat } from '../../src/exporters/formats/index.ts';
import { writeTrajectories } from '../../src/exporters/run-export.ts';
import type { TrajectorySource } from '../../src/exporters/trajectory-source.ts';
import { inMemoryParquetConverter } from '../../src/exporters/writers/parquet-converter.ts';
import type { OutputEncoding } from '../../src/exporters/writers/record-writer.ts';
import type { Trajectory } from '../../src/model/trajectory.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

export async function exportFile(
  format: string,
  trajectories: Trajectory[],
  encoding: OutputEncoding,
  options: FormatOptions = defaultFormatOptions,
): Promise<string> {
  const source: TrajectorySource = {
    list: () => Promise.resolve({ trajectories: [], next_cursor: null }),
    getMany: (ids) => Promise.resolve(ids.map((id) => trajectories.find((candidate) => candidate.id === id))),
  };
  const out = join(temporaryDirectory('export-file-'), `${format}.${encoding}`);
  await writeTrajectories(trajectories, {
    source,
    format: getExportFormat(format),
    options,
    out,
    encoding,
    parquetConverter: inMemoryParquetConverter(),
  });
  return out;
}

export function readJsonl(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export async function readParquetObjects(path: string): Promise<Array<Record<string, unknown>>> {
  const bytes = readFileSync(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return parquetReadObjects({ file, compressors });
}
