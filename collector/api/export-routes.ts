/**
 * Training data as a download, for the dashboard's export button:
 *   GET /v1/exports           -> { formats: [{ name, description, grouping, options, encodings }], encodings,
 *                                  content_types, options, max_trajectories }
 *   GET /v1/exports/{format}  -> the file `trajectories export --format {format}` writes for the same filters
 * A download runs the CLI's export (run-export.ts: the same selection, formats and atomic writer) over the
 * caller's tenant into a fresh temporary directory, then sends the finished file. It is a file rather than records
 * streamed straight to the socket because Parquet exists only once ClickHouse has converted the whole JSONL, the
 * counts the headers carry (records, trajectories, skipped) are known only at the end, and a Content-Length lets
 * a browser show progress. The directory is removed whatever happens: sent, failed, or the client gone (an
 * export whose client left stops at its next read of the store). Each export takes a heavy-read slot
 * (read-limits.ts), shared with the large trajectory and trace reads, until its file is written, so however many
 * downloads are started a few run at once, the next ones queue and the rest answer 503; a client that then stops
 * reading the file is cut off after `writeStallMillis` (stream-file.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { ExportFormat } from '../../src/exporters/export-format.ts';
import { exportFormats, getExportFormat } from '../../src/exporters/formats/index.ts';
import { selectSummaries, writeTrajectories, type ExportSummary } from '../../src/exporters/run-export.ts';
import { storeTrajectorySource, type TrajectorySource } from '../../src/exporters/trajectory-source.ts';
import type { ParquetConverter } from '../../src/exporters/writers/parquet-converter.ts';
import { outputEncodings, type OutputEncoding } from '../../src/exporters/writers/record-writer.ts';
import type { TrajectorySettings } from '../../src/trajectories/settings.ts';
import { HttpError } from '../http/http-error.ts';
import type { Router } from '../http/router.ts';
import { sendJson } from '../http/send.ts';
import {
  defaultMaxExportTrajectories,
  exportOptionDescriptions,
  exportQuerySchema,
  exportRequestFrom,
} from './export-query.ts';
import { parseQuery } from './parse-query.ts';
import { heavyReadGateFor, resolveReadLimits, type ReadLimits } from './read-limits.ts';
import { streamFile } from './stream-file.ts';
import { ClientGoneError } from './stream-json.ts';

/** Each download's temporary directory is `<os.tmpdir()>/<prefix><random>`. */
export const exportDirectoryPrefix = 'trajectories-export-';

export const exportContentTypes: Record<OutputEncoding, string> = {
  jsonl: 'application/x-ndjson',
  'jsonl.gz': 'application/gzip',
  parquet: 'application/vnd.apache.parquet',
};

export interface ExportRouteOptions extends Partial<TrajectorySettings> {
  readLimits?: Partial<ReadLimits> | undefined;
  /** Writes Parquet (parquet-converter.ts `parquetConverterFor`); without one, `encoding=parquet` answers 400. */
  parquetConverter?: ParquetConverter | undefined;
  /** @default defaultMaxExportTrajectories (50,000) */
  maxTrajectories?: number | undefined;
}

function formatNamed(name: string): ExportFormat<unknown> {
  try {
    return getExportFormat(name);
  } catch (error) {
    throw new HttpError(400, `format: ${(error as Error).message}`);
  }
}

/** `yyyymmddThhmmss` in UTC, for file names. */
function fileTimestamp(time: Date): string {
  return time.toISOString().slice(0, 19).replace(/[-:]/g, '');
}

/** `source`, failing with ClientGoneError at its next read once `stopped()` says nobody waits for the file. */
function stopping(source: TrajectorySource, stopped: () => boolean): TrajectorySource {
  const unlessStopped = <T>(read: () => Promise<T>): Promise<T> =>
    stopped() ? Promise.reject(new ClientGoneError()) : read();
  const prepare = source.prepareExport?.bind(source);
  const checked: TrajectorySource = {
    list: (filters, page) => unlessStopped(() => source.list(filters, page)),
    getMany: (ids) => unlessStopped(() => source.getMany(ids)),
  };
  if (prepare)
    checked.prepareExport = async (summaries) => {
      const reader = await unlessStopped(() => prepare(summaries));
      return { getMany: (ids) => unlessStopped(() => reader.getMany(ids)) };
    };
  return checked;
}

function exportHeaders(summary: ExportSummary, started: Date): Record<string, string> {
  return {
    'Content-Type': exportContentTypes[summary.encoding],
    'Content-Disposition': `attachment; filename="${summary.format}-${fileTimestamp(started)}.${summary.encoding}"`,
    'Content-Length': String(summary.bytes),
    'Cache-Control': 'no-store',
    'X-Export-Records': String(summary.records),
    'X-Export-Trajectories': String(summary.trajectories),
    'X-Export-Skipped': String(summary.skipped.length),
  };
}

export function addExportRoutes(router: Router, client: ClickHouseClient, options: ExportRouteOptions = {}): void {
  const { readLimits: readLimitOptions, parquetConverter, maxTrajectories: maxOption, ...settings } = options;
  const readLimits = resolveReadLimits(readLimitOptions);
  const gate = heavyReadGateFor(client, readLimits);
  const maxTrajectories = maxOption ?? defaultMaxExportTrajectories;
  const querySchema = exportQuerySchema(maxTrajectories);
  const encodings = outputEncodings.filter((encoding) => encoding !== 'parquet' || parquetConverter !== undefined);

  router.add('GET', '/v1/exports', (context) => {
    sendJson(context.response, 200, {
      formats: exportFormats.map((format) => ({
        name: format.name,
        description: format.description,
        // Whether a record stands for one trajectory or combines the trajectories of a task.
        grouping: format.grouping,
        options: exportOptionDescriptions
          .filter((option) => option.formats.includes(format.name))
          .map((option) => option.name),
        encodings,
      })),
      encodings,
      content_types: Object.fromEntries(encodings.map((name) => [name, exportContentTypes[name]])),
      options: exportOptionDescriptions,
      max_trajectories: maxTrajectories,
    });
  });

  router.add('GET', '/v1/exports/:format', async (context) => {
    const { request, response } = context;
    const format = formatNamed(context.params['format'] ?? '');
    const query = exportRequestFrom(parseQuery(querySchema, context.url));
    if (query.encoding === 'parquet' && !parquetConverter)
      throw new HttpError(400, 'encoding: parquet is not available on this receiver (no ClickHouse to convert with)');
    let clientGone = false;
    response.once('close', () => {
      if (!response.writableFinished) clientGone = true;
    });
    const started = new Date();
    let directory: string | undefined;
    try {
      const summary = await gate.run(async () => {
        // A client that left while this waited for the slot gets nothing, so nothing is read for it.
        const source = stopping(
          storeTrajectorySource(client, context.tenant, settings),
          // The socket too: a client that hung up before this handler listened for 'close' is gone all the same.
          () => clientGone || request.socket.destroyed,
        );
        // One past the most, to tell "exactly the most" from "more than a download takes".
        const summaries = await selectSummaries(source, query.filters, query.limit ?? maxTrajectories + 1);
        if (summaries.length > maxTrajectories)
          throw new HttpError(
            422,
            `more than ${maxTrajectories} trajectories match, the most one download exports: narrow the filters, ` +
              `pass limit=${maxTrajectories}, or use trajectories export`,
          );
        directory = await mkdtemp(join(tmpdir(), exportDirectoryPrefix));
        return writeTrajectories(summaries, {
          source,
          format,
          options: query.options,
          out: join(directory, `${format.name}.${query.encoding}`),
          encoding: query.encoding,
          parquetConverter: query.encoding === 'parquet' ? parquetConverter : undefined,
        });
      });
      const headers = exportHeaders(summary, started);
      // HEAD is routed here too: the same headers, no body.
      if (request.method === 'HEAD') {
        response.writeHead(200, headers);
        response.end();
        return;
      }
      await streamFile(response, summary.path, headers, { stallMillis: readLimits.writeStallMillis });
    } catch (error) {
      if (error instanceof ClientGoneError) return;
      throw error;
    } finally {
      if (directory !== undefined) await rm(directory, { recursive: true, force: true });
    }
  });
}
