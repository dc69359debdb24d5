/**
 * How a job, its last runs and a run's result look from outside (snake_case JSON): one shape whether the receiver
 * serves it (`GET /v1/jobs`, `POST /v1/jobs/{name}/run`) or `trajectories jobs` computes it in its own process,
 * so the command prints the same lines either way. The listing's zod schema is what the command line checks a
 * receiver's answer against (a trust boundary); exported trajectory ids stay out, they can be many.
 */
import { z } from 'zod';
import type { ExportJob } from './job-config.ts';
import type { JobRun } from './job-state.ts';
import type { JobRunResult } from './run-job.ts';

const jobRunDescriptionSchema = z.looseObject({
  run_id: z.string(),
  status: z.string(),
  records: z.number(),
  file: z.string(),
  updated_at: z.string(),
});

export const jobListingSchema = z.object({
  name: z.string(),
  format: z.string(),
  encoding: z.string(),
  tenant: z.string(),
  destination: z.string(),
  schedule: z.union([z.object({ interval_ms: z.number() }), z.object({ cron: z.string() })]),
  running: z.boolean(),
  last_runs: z.array(jobRunDescriptionSchema),
});

export type JobListing = z.infer<typeof jobListingSchema>;

export function describeJob(job: ExportJob) {
  return {
    name: job.name,
    format: job.format,
    encoding: job.encoding,
    tenant: job.tenant,
    destination: job.destination,
    schedule: 'interval' in job.schedule ? { interval_ms: job.schedule.interval } : { cron: job.schedule.cron },
  };
}

export function describeJobListing(entry: { job: ExportJob; running: boolean; lastRuns: JobRun[] }): JobListing {
  return {
    ...describeJob(entry.job),
    running: entry.running,
    last_runs: entry.lastRuns.map(({ trajectory_ids: _ids, ...run }) => run),
  };
}

export function describeRunResult(result: JobRunResult) {
  if (result.status === 'nothing-to-export') {
    return { status: result.status, reconciled: result.reconciled, skippedByReason: result.skippedByReason };
  }
  const { exportedIds: _ids, skipped: _skipped, ...summary } = result.summary;
  return { status: result.status, run_id: result.runId, reconciled: result.reconciled, ...summary };
}
