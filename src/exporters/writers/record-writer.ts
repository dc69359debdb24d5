/**
 * Streams records into an output file, atomically: `jsonl`, `jsonl.gz` (zlib streaming) or `parquet` (JSONL
 * staged next to the output, converted by ClickHouse, see parquet-converter.ts, then the JSON columns declared as
 * such, see parquet-json-columns.ts). Nothing appears under the final
 * name until `close()` has fsync'd the complete file and renamed it; `abort()` removes every temporary file.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import { createGzip, type Gzip } from 'node:zlib';
import { commitFile, removeQuietly, temporaryPathFor } from './atomic-file.ts';
import type { ParquetConverter } from './parquet-converter.ts';
import { markJsonColumns } from './parquet-json-columns.ts';

export const outputEncodings = ['jsonl', 'jsonl.gz', 'parquet'] as const;
export type OutputEncoding = (typeof outputEncodings)[number];

export interface WriterOptions {
  encoding: OutputEncoding;
  /**
   * Required for parquet: the ClickHouse structure of a record, the converter and the Parquet paths of the
   * columns that hold JSON objects (parquet-structure.ts `jsonColumnPaths`).
   */
  parquet?: { structure: string; converter: ParquetConverter; jsonColumns?: readonly string[] };
  /** Replace an existing file at the path; when false `close()` fails with `FileExistsError` instead. @default true */
  replaceExisting?: boolean;
}

export interface WrittenFile {
  path: string;
  records: number;
  bytes: number;
}

export interface RecordWriter {
  write(record: unknown): Promise<void>;
  /** Completes the file; `beforeCommit` runs when the data is durable but not yet under the final name. */
  close(options?: { beforeCommit?: (() => Promise<void>) | undefined }): Promise<WrittenFile>;
  abort(): Promise<void>;
}

/** Infers the encoding from the file name: .parquet, .gz, else JSONL. */
export function encodingForPath(path: string): OutputEncoding {
  if (path.endsWith('.parquet')) return 'parquet';
  if (path.endsWith('.gz')) return 'jsonl.gz';
  return 'jsonl';
}

/** Characters of JSON lines gathered before one write to the stream. */
const chunkCharacters = 256 * 1024;

export function openRecordWriter(path: string, options: WriterOptions): RecordWriter {
  if (options.encoding === 'parquet' && !options.parquet)
    throw new Error('parquet output needs a structure and a converter');
  const stagingPath = temporaryPathFor(path, options.encoding === 'parquet' ? '.jsonl' : '');
  const file: WriteStream = createWriteStream(stagingPath, { flags: 'wx' });
  const gzip: Gzip | undefined = options.encoding === 'jsonl.gz' ? createGzip() : undefined;
  if (gzip) gzip.pipe(file);
  const sink: NodeJS.WritableStream = gzip ?? file;
  let failure: Error | undefined;
  const onError = (error: Error) => {
    failure ??= error;
  };
  file.on('error', onError);
  gzip?.on('error', onError);
  let records = 0;
  let finished = false;

  const finish = async () => {
    if (finished) return;
    finished = true;
    const closed = once(file, 'close');
    sink.end();
    await closed;
  };

  // Records are joined into chunks before they reach the stream: one stream write per record cost more than
  // serializing it (bench/export-throughput.ts).
  let chunk = '';
  const flush = async () => {
    if (chunk === '') return;
    const text = chunk;
    chunk = '';
    if (!sink.write(text)) {
      await new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          sink.removeListener('drain', onDrain);
          file.removeListener('error', done);
          if (error) reject(error);
          else resolve();
        };
        const onDrain = () => done();
        sink.once('drain', onDrain);
        file.once('error', done);
      });
    }
  };

  return {
    async write(record) {
      if (failure) throw failure;
      records++;
      chunk += `${JSON.stringify(record)}\n`;
      if (chunk.length >= chunkCharacters) await flush();
    },
    async close(closeOptions = {}) {
      try {
        if (!failure) await flush();
        await finish();
        if (failure) throw failure;
        if (options.encoding === 'parquet' && options.parquet) {
          const parquetPath = temporaryPathFor(path);
          try {
            await options.parquet.converter.convert(stagingPath, parquetPath, options.parquet.structure);
            await markJsonColumns(parquetPath, options.parquet.jsonColumns ?? []);
            await closeOptions.beforeCommit?.();
            await commitFile(parquetPath, path, { replace: options.replaceExisting ?? true });
          } catch (error) {
            await removeQuietly(parquetPath);
            throw error;
          } finally {
            await removeQuietly(stagingPath);
          }
        } else {
          await closeOptions.beforeCommit?.();
          await commitFile(stagingPath, path, { replace: options.replaceExisting ?? true });
        }
        return { path, records, bytes: (await stat(path)).size };
      } catch (error) {
        await removeQuietly(stagingPath);
        throw error;
      }
    },
    async abort() {
      failure ??= new Error('aborted');
      chunk = '';
      try {
        await finish();
      } catch {
        // The file is being discarded.
      }
      await removeQuietly(stagingPath);
    },
  };
}
