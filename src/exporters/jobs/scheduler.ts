/**
 * Runs the export jobs of a jobs file inside the receiver: each job on its interval or cron schedule, one run
 * of a job at a time (a run that is still going when the next one is due is not started twice), errors logged
 * and retried at the next tick: a failed run resumes from the job's last committed watermark. `runNow` serves
 * `trajectories jobs run NAME` through the receiver's API.
 */
import { Cron } from 'croner';
import type { ClickHouseClient } from '@clickhouse/client';
import type { TrajectorySettings } from '../../trajectories/settings.ts';
import type { ParquetConverter } from '../writers/parquet-converter.ts';
import type { ExportJob } from './job-config.ts';
import { JobState, type JobRun } from './job-state.ts';
import { runExportJob, type JobRunResult } from './run-job.ts';
import type { SkipReasonCounts } from '../run-export.ts';

/** `; skipped 3 (2 no reward, 1 no assistant output)`, or nothing when none was skipped. */
function describeSkips(counts: SkipReasonCounts): string {
  if (counts.length === 0) return '';
  const total = counts.reduce((sum, { count }) => sum + count, 0);
  return `; skipped ${total} (${counts.map(({ reason, count }) => `${count} ${reason}`).join(', ')})`;
}

export interface JobScheduler {
  jobs: ExportJob[];
  runNow(name: string): Promise<JobRunResult>;
  status(): Promise<Array<{ job: ExportJob; running: boolean; lastRuns: JobRun[] }>>;
  stop(): Promise<void>;
}

export interface SchedulerOptions {
  client: ClickHouseClient;
  settings?: Partial<TrajectorySettings>;
  parquetConverter?: ParquetConverter;
  log?: (message: string) => void;
}

export function startJobScheduler(jobs: ExportJob[], options: SchedulerOptions): JobScheduler {
  const log = options.log ?? ((message: string) => console.error(`[trajectories] ${message}`));
  const running = new Map<string, Promise<JobRunResult>>();
  const timers: Array<{ stop(): void }> = [];
  let stopped = false;

  const run = (job: ExportJob): Promise<JobRunResult> => {
    const current = running.get(job.name);
    if (current) return current;
    const promise = runExportJob(job, {
      client: options.client,
      ...(options.settings ? { settings: options.settings } : {}),
      ...(options.parquetConverter ? { parquetConverter: options.parquetConverter } : {}),
    }).finally(() => running.delete(job.name));
    running.set(job.name, promise);
    return promise;
  };

  const tick = (job: ExportJob) => {
    if (stopped || running.has(job.name)) return;
    run(job).then(
      (result) => {
        if (result.status === 'exported') {
          log(
            `export job ${job.name}: ${result.summary.records} records from ${result.summary.trajectories} trajectories -> ${result.summary.path}${describeSkips(result.summary.skippedByReason)}`,
          );
        } else if (result.skipped.length > 0) {
          log(`export job ${job.name}: nothing exported${describeSkips(result.skippedByReason)}`);
        }
      },
      (error: Error) => log(`export job ${job.name} failed (retried at its next run): ${error.message}`),
    );
  };

  for (const job of jobs) {
    if ('interval' in job.schedule) {
      const timer = setInterval(() => tick(job), job.schedule.interval);
      timer.unref();
      timers.push({ stop: () => clearInterval(timer) });
    } else {
      const cron = new Cron(job.schedule.cron, { protect: true, unref: true }, () => tick(job));
      timers.push(cron);
    }
  }

  const find = (name: string) => {
    const job = jobs.find((candidate) => candidate.name === name);
    if (!job)
      throw new Error(
        `no export job named ${JSON.stringify(name)} (jobs: ${jobs.map((candidate) => candidate.name).join(', ') || 'none'})`,
      );
    return job;
  };

  return {
    jobs,
    runNow: (name) => run(find(name)),
    async status() {
      return Promise.all(
        jobs.map(async (job) => ({
          job,
          running: running.has(job.name),
          lastRuns: await new JobState(options.client, job.tenant, job.name).runs(5),
        })),
      );
    },
    async stop() {
      stopped = true;
      for (const timer of timers) timer.stop();
      // Let a run in progress finish: a half-done run would be reconciled anyway, but finishing is cheaper.
      await Promise.allSettled([...running.values()]);
    },
  };
}
