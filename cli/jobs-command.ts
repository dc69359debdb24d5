/**
 * `trajectories jobs list` and `trajectories jobs run NAME`: the scheduled exports of a jobs file. While a
 * receiver holds the store, both go through its API (`/v1/jobs`), so a run shares the receiver's per-job lock and
 * state; with `--clickhouse-url` or `--data-dir` (no receiver on it) they run in this process from `--jobs FILE`,
 * with no lock shared with any receiver: run a job from one place at a time (a run that collides with another
 * fails instead of overwriting its file).
 */
import type { Command } from 'commander';
import { loadJobsFile } from '../src/exporters/jobs/job-config.ts';
import { JobState } from '../src/exporters/jobs/job-state.ts';
import { runExportJob } from '../src/exporters/jobs/run-job.ts';
import { parseHeaderList } from '../src/exporters/trajectory-source.ts';
import { parquetConverterFor } from '../src/exporters/writers/parquet-converter.ts';
import { describeJob, describeRunResult } from '../src/exporters/jobs/job-description.ts';
import type { Store } from '../src/store/client.ts';
import { openMigratedStore } from '../src/store/migrate.ts';
import { defaultReceiverUrl } from './export-command.ts';

interface JobsOptions {
  jobs?: string;
  receiver?: string;
  token?: string;
  clickhouseUrl?: string;
  dataDir?: string;
}

async function callReceiver(options: JobsOptions, method: 'GET' | 'POST', path: string): Promise<unknown> {
  const base = (options.receiver ?? process.env['TRAJECTORIES_RECEIVER_URL'] ?? defaultReceiverUrl).replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json', ...parseHeaderList(process.env['OTEL_EXPORTER_OTLP_HEADERS']) };
  const token = options.token ?? process.env['TRAJECTORIES_TOKEN'];
  if (token) headers['authorization'] = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, { method, headers });
  } catch (error) {
    throw new Error(`cannot reach the receiver at ${base}: ${(error as Error).message}. Start it with --jobs, or pass --clickhouse-url / --data-dir with --jobs FILE`, { cause: error });
  }
  const body = await response.text();
  if (response.status === 404 && path === '/v1/jobs') throw new Error(`the receiver at ${base} runs no export jobs (start it with --jobs FILE)`);
  if (!response.ok) throw new Error(`receiver answered ${response.status}: ${body.slice(0, 500)}`);
  return JSON.parse(body);
}

async function withLocalStore<T>(options: JobsOptions, action: (store: Store) => Promise<T>): Promise<T> {
  const store = await openMigratedStore({ dataDir: options.dataDir ?? './data', clickhouseUrl: options.clickhouseUrl, database: process.env['TRAJECTORIES_DATABASE'] });
  try {
    return await action(store);
  } finally {
    await store.close();
  }
}

function local(options: JobsOptions): boolean {
  return Boolean(options.clickhouseUrl || options.dataDir);
}

function jobsFile(options: JobsOptions): string {
  const file = options.jobs ?? process.env['TRAJECTORIES_JOBS_FILE'];
  if (!file) throw new Error('--jobs FILE is required with --clickhouse-url / --data-dir');
  return file;
}

export function addJobsCommand(program: Command): void {
  const jobs = program.command('jobs').description('scheduled export jobs: list them or run one now');
  const common = (command: Command) =>
    command
      .option('--jobs <file>', 'jobs YAML file (TRAJECTORIES_JOBS_FILE), for --clickhouse-url / --data-dir')
      .option('--receiver <url>', `receiver running the jobs [default: ${defaultReceiverUrl}]`)
      .option('--token <token>', 'bearer token for the receiver')
      .option('--clickhouse-url <url>', 'run against a ClickHouse server directly')
      .option('--data-dir <dir>', 'run against an embedded data directory that no receiver holds');

  common(jobs.command('list').description('list jobs with their schedule and last runs')).action(async (options: JobsOptions) => {
    const listed = local(options)
      ? await withLocalStore(options, async (store) =>
          Promise.all(
            loadJobsFile(jobsFile(options)).map(async (job) => ({
              ...describeJob(job),
              running: false,
              last_runs: (await new JobState(store.client, job.tenant, job.name).runs(5)).map(({ trajectory_ids: _ids, ...run }) => run),
            })),
          ),
        )
      : ((await callReceiver(options, 'GET', '/v1/jobs')) as { jobs: Array<ReturnType<typeof describeJob> & { running: boolean; last_runs: Array<Record<string, unknown>> }> }).jobs;
    if (listed.length === 0) console.log('no export jobs');
    for (const job of listed) {
      const schedule = 'cron' in job.schedule ? `cron ${job.schedule.cron}` : `every ${job.schedule.interval_ms / 1000}s`;
      console.log(`${job.name}  ${job.format} (${job.encoding})  ${schedule}  -> ${job.destination}${job.running ? '  [running]' : ''}`);
      for (const run of job.last_runs) console.log(`    ${run['run_id']}  ${run['status']}  ${run['records']} records  ${run['file'] || '(no file)'}  ${run['updated_at']}`);
    }
  });

  common(jobs.command('run').argument('<name>', 'job name').description('run one job now; through a receiver it takes the receiver\'s per-job lock, with --clickhouse-url / --data-dir nothing coordinates it with a receiver running the same job: run a job from one place at a time')).action(
    async (name: string, options: JobsOptions) => {
      const result = local(options)
        ? await withLocalStore(options, async (store) => {
            const job = loadJobsFile(jobsFile(options)).find((candidate) => candidate.name === name);
            if (!job) throw new Error(`no export job named ${JSON.stringify(name)} in ${jobsFile(options)}`);
            return describeRunResult(await runExportJob(job, { client: store.client, parquetConverter: parquetConverterFor(store) }));
          })
        : await callReceiver(options, 'POST', `/v1/jobs/${encodeURIComponent(name)}/run`);
      console.log(JSON.stringify(result, null, 2));
    },
  );
}
