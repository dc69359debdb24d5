/**
 * One export: select trajectory summaries with the filters, fetch the full trajectories (a few at a time), turn
 * them into records with the format and stream the records into one atomically written file. Formats that
 * combine trajectories of a task get each task's selected trajectories together. The same function serves
 * `trajectories export` and the scheduled jobs (which pass the summaries they selected), so both report the
 * same `skipped` / `skippedByReason`. The Parquet structure is derived from the format's record schema.
 */
import type { TrajectorySummary, Trajectory } from '../model/trajectory.ts';
import type { TrajectoryFiltersInput } from '../trajectories/filters.ts';
import { convertBatch } from './convert-batch.ts';
import type { ExportFormat, FormatOptions, SkippedTrajectory } from './export-format.ts';
import type { TrajectorySource } from './trajectory-source.ts';
import type { ParquetConverter } from './writers/parquet-converter.ts';
import { jsonColumnPaths, parquetColumns, parquetStructure } from './writers/parquet-structure.ts';
import { openRecordWriter, type OutputEncoding } from './writers/record-writer.ts';

export interface ExportProgress {
  trajectoriesDone: number;
  trajectoriesTotal: number;
  records: number;
}

export interface WriteRequest {
  source: TrajectorySource;
  format: ExportFormat<unknown>;
  options: FormatOptions;
  out: string;
  encoding: OutputEncoding;
  parquetConverter?: ParquetConverter | undefined;
  onProgress?: ((progress: ExportProgress) => void) | undefined;
  /** Replace an existing file at `out` (one-off exports); jobs pass false so a run never overwrites another's. @default true */
  replaceExisting?: boolean | undefined;
  /** Runs once every record is written and durable, before the file appears under its final name (jobs). */
  beforeCommit?:
    ((written: { exportedIds: string[]; records: number; skipped: SkippedTrajectory[] }) => Promise<void>) | undefined;
}

/** Skip reasons with their counts, most frequent first (first seen first among equals). */
export type SkipReasonCounts = Array<{ reason: string; count: number }>;

export interface ExportSummary {
  path: string;
  encoding: OutputEncoding;
  format: string;
  records: number;
  /** Trajectories that went into records (for one-row-per-task formats, every candidate of an exported task). */
  trajectories: number;
  bytes: number;
  exportedIds: string[];
  skipped: SkippedTrajectory[];
  skippedByReason: SkipReasonCounts;
}

export function countSkipReasons(skipped: SkippedTrajectory[]): SkipReasonCounts {
  const counts = new Map<string, number>();
  for (const item of skipped) counts.set(item.reason, (counts.get(item.reason) ?? 0) + 1);
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
}

/** The ClickHouse structure `format`'s records are converted to Parquet with, for these options. */
export function parquetStructureFor(format: ExportFormat<unknown>, options: FormatOptions): string {
  return parquetStructure(format.recordSchema, format.extraColumns?.(options) ?? []);
}

/** The Parquet paths of the format's columns that hold JSON objects (declared JSON in the file). */
export function parquetJsonColumnsFor(format: ExportFormat<unknown>, options: FormatOptions): string[] {
  return jsonColumnPaths(parquetColumns(format.recordSchema, format.extraColumns?.(options) ?? []));
}

/** Pages through the summaries matching `filters` (complete only unless `complete` is given), up to `limit`. */
export async function selectSummaries(
  source: TrajectorySource,
  filters: TrajectoryFiltersInput,
  limit?: number,
): Promise<TrajectorySummary[]> {
  const selected: TrajectorySummary[] = [];
  let cursor: string | undefined;
  for (;;) {
    const want = limit === undefined ? 1000 : Math.min(1000, limit - selected.length);
    if (want <= 0) break;
    const page = await source.list({ complete: true, ...filters }, { limit: want, cursor });
    selected.push(...page.trajectories);
    if (!page.next_cursor || page.trajectories.length === 0) break;
    cursor = page.next_cursor;
  }
  return limit === undefined ? selected : selected.slice(0, limit);
}

/** Batches of summaries handed to the format together: one task per batch for task-grouped formats. */
function batches(summaries: TrajectorySummary[], grouping: 'task' | 'trajectory'): TrajectorySummary[][] {
  if (grouping === 'trajectory') {
    const result: TrajectorySummary[][] = [];
    for (let index = 0; index < summaries.length; index += 64) result.push(summaries.slice(index, index + 64));
    return result;
  }
  const byTask = new Map<string, TrajectorySummary[]>();
  for (const summary of summaries) {
    const key = summary.task_id || summary.id;
    const group = byTask.get(key);
    if (group) group.push(summary);
    else byTask.set(key, [summary]);
  }
  return [...byTask.values()];
}

export async function writeTrajectories(summaries: TrajectorySummary[], request: WriteRequest): Promise<ExportSummary> {
  const format = request.format;
  const writer = openRecordWriter(request.out, {
    encoding: request.encoding,
    replaceExisting: request.replaceExisting ?? true,
    ...(request.encoding === 'parquet' && request.parquetConverter
      ? {
          parquet: {
            structure: parquetStructureFor(format, request.options),
            converter: request.parquetConverter,
            jsonColumns: parquetJsonColumnsFor(format, request.options),
          },
        }
      : {}),
  });
  const skipped: SkippedTrajectory[] = [];
  const exportedIds: string[] = [];
  let records = 0;
  let done = 0;
  try {
    for (const batch of batches(summaries, format.grouping)) {
      const fetched = await request.source.getMany(batch.map((summary) => summary.id));
      const trajectories: Trajectory[] = [];
      fetched.forEach((trajectory, index) => {
        if (trajectory) trajectories.push(trajectory);
        else
          skipped.push({
            trajectory_id: (batch[index] as TrajectorySummary).id,
            reason: 'not found (deleted or not visible to this tenant)',
          });
      });
      const result = convertBatch(format, trajectories, request.options);
      for (const record of result.records) await writer.write(record);
      records += result.records.length;
      skipped.push(...result.skipped);
      exportedIds.push(...result.exportedIds);
      done += batch.length;
      request.onProgress?.({ trajectoriesDone: done, trajectoriesTotal: summaries.length, records });
    }
  } catch (error) {
    await writer.abort();
    throw error;
  }
  const written = await writer.close({
    beforeCommit: request.beforeCommit ? () => request.beforeCommit!({ exportedIds, records, skipped }) : undefined,
  });
  return {
    path: written.path,
    encoding: request.encoding,
    format: format.name,
    records: written.records,
    trajectories: exportedIds.length,
    bytes: written.bytes,
    exportedIds,
    skipped,
    skippedByReason: countSkipReasons(skipped),
  };
}

export async function exportTrajectories(
  request: WriteRequest & { filters: TrajectoryFiltersInput; limit?: number | undefined },
): Promise<ExportSummary> {
  const summaries = await selectSummaries(request.source, request.filters, request.limit);
  return writeTrajectories(summaries, request);
}
