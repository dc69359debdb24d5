/**
 * One export: select trajectory summaries with the filters, fetch the full trajectories (a few at a time), turn
 * them into records with the format and stream the records into one atomically written file. Formats that
 * combine trajectories of a task get each task's selected trajectories together. The same function serves
 * `trajectories export` and the scheduled jobs (which pass the summaries they selected), so both report the
 * same `skipped` / `skippedByReason`. The Parquet structure is derived from the format's record schema.
 * What every batch shares (AIR rules, group statistics) is read once per export when the source can
 * (`prepareExport`), and the next batch is read while the current one is converted and written.
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
  /** Trajectories read from the source at once, at most. @default defaultBatchTrajectories (1024) */
  batchTrajectories?: number | undefined;
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

/**
 * Trajectories read per batch, at most. Each batch costs a fixed handful of queries whose ClickHouse time barely
 * grows with the traces they name, so fewer, larger batches are cheaper per trajectory: on 1,000 ten-span
 * trajectories 1,024 gave 0.33-0.40 of the raw read (then read through text()) against 0.25-0.29 for 256
 * (bench/export-throughput.ts, two runs of 5 rounds each, loaded machine). `defaultBatchSpans` bounds the memory
 * a batch of long trajectories holds.
 * @default 1024
 */
export const defaultBatchTrajectories = 1024;

/**
 * Spans read per batch, at most (estimated from the summaries: the root, one span per turn and per tool call),
 * unless one trajectory or task alone has more: 1,024 ten-span trajectories, or about 100 agent loops of 80 calls.
 * @default 16384
 */
export const defaultBatchSpans = 16_384;

const estimatedSpans = (summary: TrajectorySummary) => 1 + summary.turn_count + summary.tool_call_count;

/**
 * One read of the store: summaries read together, cut into the groups the format converts together: one task
 * each for task-grouped formats (a format sees exactly the task groups it always saw), one trajectory each
 * otherwise, so records and skips come out in selection order whatever the batch size.
 */
interface ReadBatch {
  summaries: TrajectorySummary[];
  conversions: TrajectorySummary[][];
}

function byTask(summaries: TrajectorySummary[]): TrajectorySummary[][] {
  const tasks = new Map<string, TrajectorySummary[]>();
  for (const summary of summaries) {
    const key = summary.task_id || summary.id;
    const group = tasks.get(key);
    if (group) group.push(summary);
    else tasks.set(key, [summary]);
  }
  return [...tasks.values()];
}

/**
 * Whole tasks are packed into batches of at most `size` trajectories and `defaultBatchSpans` estimated spans (a
 * larger task is one batch); never split.
 */
function readBatches(summaries: TrajectorySummary[], grouping: 'task' | 'trajectory', size: number): ReadBatch[] {
  const groups = grouping === 'trajectory' ? summaries.map((summary) => [summary]) : byTask(summaries);
  const result: ReadBatch[] = [];
  let current: ReadBatch = { summaries: [], conversions: [] };
  let spans = 0;
  for (const group of groups) {
    const groupSpans = group.reduce((total, summary) => total + estimatedSpans(summary), 0);
    if (
      current.summaries.length > 0 &&
      (current.summaries.length + group.length > size || spans + groupSpans > defaultBatchSpans)
    ) {
      result.push(current);
      current = { summaries: [], conversions: [] };
      spans = 0;
    }
    current.summaries.push(...group);
    current.conversions.push(group);
    spans += groupSpans;
  }
  if (current.summaries.length > 0) result.push(current);
  return result;
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
  const plan = readBatches(summaries, format.grouping, request.batchTrajectories ?? defaultBatchTrajectories);
  // The next batch is read while this one is converted and written: one read ahead, never more.
  let ahead: Promise<Array<Trajectory | undefined>> | undefined;
  try {
    const reader = (await request.source.prepareExport?.(summaries)) ?? request.source;
    const read = (batch: ReadBatch | undefined) => {
      if (!batch) return undefined;
      const pending = reader.getMany(batch.summaries.map((summary) => summary.id));
      // Handled here so a failure while the current batch converts is not an unhandled rejection; awaited below.
      pending.catch(() => undefined);
      return pending;
    };
    ahead = read(plan[0]);
    for (let index = 0; index < plan.length; index++) {
      const batch = plan[index] as ReadBatch;
      const fetched = await (ahead as Promise<Array<Trajectory | undefined>>);
      ahead = read(plan[index + 1]);
      const byId = new Map<string, Trajectory>();
      fetched.forEach((trajectory, position) => {
        const id = (batch.summaries[position] as TrajectorySummary).id;
        if (trajectory) byId.set(id, trajectory);
      });
      for (const conversion of batch.conversions) {
        const trajectories: Trajectory[] = [];
        for (const summary of conversion) {
          const trajectory = byId.get(summary.id);
          if (trajectory) trajectories.push(trajectory);
          else
            skipped.push({
              trajectory_id: summary.id,
              reason: 'not found (deleted or not visible to this tenant)',
            });
        }
        const result = convertBatch(format, trajectories, request.options);
        for (const record of result.records) await writer.write(record);
        records += result.records.length;
        skipped.push(...result.skipped);
        exportedIds.push(...result.exportedIds);
      }
      done += batch.summaries.length;
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
