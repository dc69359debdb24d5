/**
 * One run of an export job, exactly-once per trajectory:
 * 1. reconcile runs a crash left `pending`: if the run's file exists the crash came after the rename, so the
 *    run is committed with the trajectory ids it recorded; otherwise it is marked failed and its trajectories
 *    are free again (its temporary files are removed);
 * 2. select trajectories of the job's filters whose trace started after (watermark - lookback), keep the
 *    complete ones this job has not exported, oldest first, up to the per-run maximum;
 * 3. write them to `<destination>/<job>-<sequence>.<ext>` atomically; when every record is durable, and before
 *    the rename, record the run `pending` with the ids that went into records;
 * 4. after the rename, record the exported ids and commit the run with the new watermark: the start of the
 *    oldest trajectory left for the next run or still incomplete and active within `abandonAfterMillis`, else
 *    the newest one seen; never lower than the previous watermark (one stuck trajectory must not pin it).
 * Trajectories a format skipped (no reward yet, no pair) are not marked and are reconsidered while they are
 * within the lookback window; every result, also one that exported nothing, lists them with their reasons as
 * `trajectories export` does. A trajectory is never exported twice by one job, even if late spans change it.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { TrajectorySummary } from '../../model/trajectory.ts';
import type { TrajectorySettings } from '../../trajectories/settings.ts';
import type { SkippedTrajectory } from '../export-format.ts';
import { getExportFormat } from '../formats/index.ts';
import {
  countSkipReasons,
  selectSummaries,
  writeTrajectories,
  type ExportSummary,
  type SkipReasonCounts,
} from '../run-export.ts';
import { storeTrajectorySource, type TrajectorySource } from '../trajectory-source.ts';
import { FileExistsError, removeQuietly } from '../writers/atomic-file.ts';
import type { ParquetConverter } from '../writers/parquet-converter.ts';
import type { ExportJob } from './job-config.ts';
import { JobState } from './job-state.ts';

export interface JobContext {
  client: ClickHouseClient;
  settings?: Partial<TrajectorySettings>;
  /** Reads trajectories; defaults to the store itself. */
  source?: TrajectorySource;
  parquetConverter?: ParquetConverter;
  /** Test hook: runs after the file was renamed into place and before the run is committed. */
  afterRename?: (file: string) => Promise<void> | void;
}

export type JobRunResult =
  | { status: 'exported'; runId: string; summary: ExportSummary; reconciled: number }
  /** Nothing new was selected, or everything selected was skipped (then with the reasons). */
  | {
      status: 'nothing-to-export';
      reconciled: number;
      skipped: SkippedTrajectory[];
      skippedByReason: SkipReasonCounts;
    };

/** Aborts a run's file when every selected trajectory was skipped: no empty files in the destination. */
class NothingExported extends Error {
  constructor(readonly skipped: SkippedTrajectory[]) {
    super('every selected trajectory was skipped');
  }
}

function nothingToExport(reconciled: number, skipped: SkippedTrajectory[] = []): JobRunResult {
  return { status: 'nothing-to-export', reconciled, skipped, skippedByReason: countSkipReasons(skipped) };
}

const extensions = { jsonl: 'jsonl', 'jsonl.gz': 'jsonl.gz', parquet: 'parquet' } as const;

export function runFileName(job: ExportJob, sequence: number): string {
  return `${job.name}-${String(sequence).padStart(6, '0')}.${extensions[job.encoding]}`;
}

async function reconcile(job: ExportJob, state: JobState): Promise<number> {
  const pending = await state.pendingRuns();
  for (const run of pending) {
    if (run.file !== '' && existsSync(run.file)) {
      await state.markExported(run.run_id, run.trajectory_ids);
      await state.recordRun({ ...run, status: 'committed' });
    } else {
      await state.recordRun({ ...run, status: 'failed', error: 'the run stopped before its file was complete' });
    }
  }
  if (existsSync(job.destination)) {
    for (const name of readdirSync(job.destination)) {
      // Only this job's own run files (`<name>-<6 digits>.<ext>.tmp-...`): a job named `art` must not touch `art-hourly`'s.
      if (ownTemporaryFile(job.name).test(name)) await removeQuietly(join(job.destination, name));
    }
  }
  return pending.length;
}

function ownTemporaryFile(jobName: string): RegExp {
  // Job names are letters, digits, - and _ (job-config.ts), none of them special in a regular expression.
  return new RegExp(`^${jobName}-\\d{6}\\.[a-z.]+\\.tmp-`);
}

function startNs(summary: TrajectorySummary): bigint {
  return BigInt(summary.start_time_unix_nano || '0');
}

/** The last activity seen of a trajectory: the end of its latest span, else its start. */
function lastActivityNs(summary: TrajectorySummary): bigint {
  return BigInt(summary.end_time_unix_nano || summary.start_time_unix_nano || '0');
}

export async function runExportJob(job: ExportJob, context: JobContext): Promise<JobRunResult> {
  const state = new JobState(context.client, job.tenant, job.name);
  const reconciled = await reconcile(job, state);
  const { lastSequence, watermarkNs } = await state.position();
  const lookbackNs = BigInt(job.lookbackMillis) * 1_000_000n;
  const since = watermarkNs > lookbackNs ? watermarkNs - lookbackNs : 0n;
  const source = context.source ?? storeTrajectorySource(context.client, job.tenant, context.settings);
  // Incomplete trajectories are listed too: they hold the watermark back until they complete or are abandoned.
  const { complete: _complete, ...filters } = job.filters;
  const seen = await selectSummaries(source, { ...filters, since: since.toString(), complete: undefined });
  const completed = seen.filter((summary) => summary.complete);
  const exported = await state.exportedAmong(completed.map((summary) => summary.id));
  const eligible = completed
    .filter((summary) => !exported.has(summary.id))
    .sort((a, b) => (startNs(a) < startNs(b) ? -1 : startNs(a) > startNs(b) ? 1 : a.id.localeCompare(b.id)));
  const chosen = eligible.slice(0, job.maxTrajectoriesPerRun);
  const abandonedBeforeNs = BigInt(Date.now()) * 1_000_000n - BigInt(job.abandonAfterMillis) * 1_000_000n;
  const active = seen.filter((summary) => !summary.complete && lastActivityNs(summary) >= abandonedBeforeNs);
  const holdBack = [...active, ...eligible.slice(job.maxTrajectoriesPerRun)].map(startNs);
  const newest = seen.reduce((max, summary) => (startNs(summary) > max ? startNs(summary) : max), watermarkNs);
  const heldAt = holdBack.length > 0 ? holdBack.reduce((min, value) => (value < min ? value : min)) : newest;
  // Held-back trajectories that started before the watermark are still inside the next run's lookback window.
  const watermark = heldAt > watermarkNs ? heldAt : watermarkNs;
  const sequence = lastSequence + 1;
  const runId = `${job.name}-${String(sequence).padStart(6, '0')}`;
  const startedAt = new Date().toISOString();
  const base = {
    run_id: runId,
    sequence,
    format: job.format,
    watermark_ns: watermark.toString(),
    error: '',
    started_at: startedAt,
  };
  if (chosen.length === 0) {
    if (watermark !== watermarkNs) {
      await state.recordRun({ ...base, status: 'committed', file: '', trajectory_ids: [], records: 0, bytes: 0 });
    }
    return nothingToExport(reconciled);
  }
  mkdirSync(job.destination, { recursive: true });
  const file = join(job.destination, runFileName(job, sequence));
  const write = writeTrajectories(chosen, {
    source,
    format: getExportFormat(job.format),
    options: job.formatOptions,
    out: file,
    encoding: job.encoding,
    parquetConverter: context.parquetConverter,
    // Two processes running this job at once take the same sequence: the second fails here instead of replacing
    // the first one's file. Its pending run is superseded by the first one's commit; its trajectories stay free.
    replaceExisting: false,
    beforeCommit: async ({ exportedIds, records, skipped }) => {
      if (exportedIds.length === 0) throw new NothingExported(skipped);
      await state.recordRun({ ...base, status: 'pending', file, trajectory_ids: exportedIds, records, bytes: 0 });
    },
  });
  let summary: ExportSummary;
  try {
    summary = await write;
  } catch (error) {
    if (error instanceof FileExistsError) {
      throw new Error(
        `job ${job.name}: ${error.path} already exists, so another process ran this job at the same time; this run exported nothing (run a job from one place at a time)`,
        { cause: error },
      );
    }
    if (!(error instanceof NothingExported)) throw error;
    // Everything selected was skipped (no reward yet, no pair): only the watermark moves.
    if (watermark !== watermarkNs)
      await state.recordRun({ ...base, status: 'committed', file: '', trajectory_ids: [], records: 0, bytes: 0 });
    return nothingToExport(reconciled, error.skipped);
  }
  await context.afterRename?.(file);
  await state.markExported(runId, summary.exportedIds);
  await state.recordRun({
    ...base,
    status: 'committed',
    file,
    trajectory_ids: summary.exportedIds,
    records: summary.records,
    bytes: summary.bytes,
  });
  return { status: 'exported', runId, summary, reconciled };
}
