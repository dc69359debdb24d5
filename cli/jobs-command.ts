/**
 * `trajectories jobs list` and `trajectories jobs run NAME`: the scheduled exports of a jobs file. While a
 * receiver holds the store, both go through its API (`/v1/jobs`), so a run shares the receiver's per-job lock and
 * state; when a store location is given (by flag or environment, see read-location.ts) they run in this process
 * from the jobs file, with no lock shared with any receiver: run a job from one place at a time (a run that
 * collides with another fails instead of overwriting its file).
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { receiverOptions } from '../collector/config.ts';
import { describedAs, type OptionTable, type OptionValues } from '../src/config/option-definition.ts';
import { loadJobsFile, type ExportJob } from '../src/exporters/jobs/job-config.ts';
import {
  describeJobListing,
  describeRunResult,
  jobListingSchema,
  type JobListing,
} from '../src/exporters/jobs/job-description.ts';
import { JobState } from '../src/exporters/jobs/job-state.ts';
import { runExportJob } from '../src/exporters/jobs/run-job.ts';
import { parquetConverterFor } from '../src/exporters/writers/parquet-converter.ts';
import type { Store } from '../src/store/client.ts';
import { addOptions, resolveFlags } from './command-options.ts';
import {
  chooseReadLocation,
  environmentChoiceNote,
  openReadStore,
  readLocationOptions,
  type ReadLocation,
} from './read-location.ts';

export const jobsOptions = {
  jobsFile: describedAs(
    receiverOptions.jobsFile,
    "jobs YAML file, needed when reading a store directly (through a receiver, the jobs are the receiver's)",
  ),
  ...readLocationOptions,
} satisfies OptionTable;

type ReceiverLocation = Extract<ReadLocation, { kind: 'receiver' }>;
type StoreLocation = Extract<ReadLocation, { kind: 'store' }>;

async function callReceiver(location: ReceiverLocation, method: 'GET' | 'POST', path: string): Promise<unknown> {
  const base = location.url.replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json', ...location.headers };
  if (location.token) headers['authorization'] = `Bearer ${location.token}`;
  let response: Response;
  try {
    // The receiver's API takes state-changing requests only as JSON (a guard against cross-site form posts).
    const body = method === 'POST' ? '{}' : undefined;
    if (body) headers['content-type'] = 'application/json';
    response = await fetch(`${base}${path}`, { method, headers, body });
  } catch (error) {
    throw new Error(
      `cannot reach the receiver at ${base}: ${(error as Error).message}. Start it with --jobs, or pass --clickhouse-url / --data-dir with --jobs FILE`,
      { cause: error },
    );
  }
  const body = await response.text();
  if (response.status === 404 && path === '/v1/jobs')
    throw new Error(`the receiver at ${base} runs no export jobs (start it with --jobs FILE)`);
  if (!response.ok) throw new Error(`receiver answered ${response.status}: ${body.slice(0, 500)}`);
  return JSON.parse(body);
}

function localJobs(
  values: OptionValues<typeof jobsOptions>,
  location: StoreLocation,
): { file: string; jobs: ExportJob[] } {
  if (!values.jobsFile) {
    const note = environmentChoiceNote(location, 'jobs');
    throw new Error(
      `--jobs FILE (or ${receiverOptions.jobsFile.environment.join(' / ')}) is required when reading a store directly${note ? ` (${note})` : ''}`,
    );
  }
  return { file: values.jobsFile, jobs: loadJobsFile(values.jobsFile) };
}

async function withStore<T>(location: StoreLocation, action: (store: Store) => Promise<T>): Promise<T> {
  const store = await openReadStore(location, 'jobs');
  try {
    return await action(store);
  } finally {
    await store.close();
  }
}

const receiverListingSchema = z.object({ jobs: z.array(jobListingSchema) });

async function listJobs(parsed: Record<string, unknown>): Promise<JobListing[]> {
  const resolved = resolveFlags(jobsOptions, parsed, process.env);
  const location = chooseReadLocation(resolved);
  if (location.kind === 'receiver') {
    const answer = receiverListingSchema.safeParse(await callReceiver(location, 'GET', '/v1/jobs'));
    if (!answer.success)
      throw new Error(
        `the receiver at ${location.url} answered GET /v1/jobs with an unexpected shape: ${answer.error.message}`,
      );
    return answer.data.jobs;
  }
  const { jobs } = localJobs(resolved.values, location);
  return withStore(location, (store) =>
    Promise.all(
      jobs.map(async (job) =>
        describeJobListing({
          job,
          running: false,
          lastRuns: await new JobState(store.client, job.tenant, job.name).runs(5),
        }),
      ),
    ),
  );
}

async function runJob(name: string, parsed: Record<string, unknown>): Promise<unknown> {
  const resolved = resolveFlags(jobsOptions, parsed, process.env);
  const location = chooseReadLocation(resolved);
  if (location.kind === 'receiver') return callReceiver(location, 'POST', `/v1/jobs/${encodeURIComponent(name)}/run`);
  const { file, jobs } = localJobs(resolved.values, location);
  const job = jobs.find((candidate) => candidate.name === name);
  if (!job) throw new Error(`no export job named ${JSON.stringify(name)} in ${file}`);
  return withStore(location, async (store) =>
    describeRunResult(await runExportJob(job, { client: store.client, parquetConverter: parquetConverterFor(store) })),
  );
}

export function addJobsCommand(program: Command): void {
  const jobs = program.command('jobs').description('scheduled export jobs: list them or run one now');
  addOptions(jobs.command('list').description('list jobs with their schedule and last runs'), jobsOptions).action(
    async (parsed: Record<string, unknown>) => {
      const listed = await listJobs(parsed);
      if (listed.length === 0) console.log('no export jobs');
      for (const job of listed) {
        const schedule =
          'cron' in job.schedule ? `cron ${job.schedule.cron}` : `every ${job.schedule.interval_ms / 1000}s`;
        console.log(
          `${job.name}  ${job.format} (${job.encoding})  ${schedule}  -> ${job.destination}${job.running ? '  [running]' : ''}`,
        );
        for (const run of job.last_runs)
          console.log(
            `    ${run.run_id}  ${run.status}  ${run.records} records  ${run.file || '(no file)'}  ${run.updated_at}`,
          );
      }
    },
  );
  const run = jobs
    .command('run')
    .argument('<name>', 'job name')
    .description(
      "run one job now; through a receiver it takes the receiver's per-job lock, reading a store directly nothing coordinates it with a receiver running the same job: run a job from one place at a time",
    );
  addOptions(run, jobsOptions).action(async (name: string, parsed: Record<string, unknown>) => {
    console.log(JSON.stringify(await runJob(name, parsed), null, 2));
  });
}
