/**
 * The receiver side of scheduled exports: loads the jobs file, runs the scheduler on the receiver's own store
 * (Parquet through the same embedded session, see parquet-converter.ts) and serves the jobs API the CLI uses
 * while the receiver holds the store:
 *   GET  /v1/jobs             -> { jobs: [{ name, format, destination, schedule, running, last_runs }] }
 *   POST /v1/jobs/{name}/run  -> the run's result
 * A caller sees only the jobs of its tenant, and no absolute server path: destinations and run files are shown
 * relative to the jobs file's directory (where relative destinations resolve), or by name when outside it.
 */
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Store } from '../../src/store/client.ts';
import { describeJobListing, describeRunResult } from '../../src/exporters/jobs/job-description.ts';
import { loadJobsFile } from '../../src/exporters/jobs/job-config.ts';
import { startJobScheduler, type JobScheduler } from '../../src/exporters/jobs/scheduler.ts';
import { parquetConverterFor } from '../../src/exporters/writers/parquet-converter.ts';
import type { TrajectorySettings } from '../../src/trajectories/settings.ts';
import { HttpError } from '../http/http-error.ts';
import type { Router } from '../http/router.ts';
import { sendJson } from '../http/send.ts';

/** How a tenant sees a server path: relative to `root` when inside it, else its file name. */
function shownPath(root: string, path: string): string {
  if (path === '') return path;
  const inside = relative(root, path);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside : basename(path);
}

/** Error text of a failed run with every absolute path cut to its file name (fs errors name the file they hit). */
function withoutPaths(text: string): string {
  return text.replace(/(?:\/[^\s'"`/]+)+\/?/g, (path) => basename(path));
}

export function startExportJobs(options: {
  jobsFile: string;
  store: Store;
  router: Router;
  settings: Partial<TrajectorySettings>;
  log: (message: string) => void;
}): JobScheduler {
  const jobs = loadJobsFile(options.jobsFile);
  const scheduler = startJobScheduler(jobs, {
    client: options.store.client,
    settings: options.settings,
    parquetConverter: parquetConverterFor(options.store),
    log: options.log,
  });
  const root = dirname(resolve(options.jobsFile));
  options.router.add('GET', '/v1/jobs', async (context) => {
    const status = await scheduler.status();
    const listings = status.filter((entry) => entry.job.tenant === context.tenant).map(describeJobListing);
    sendJson(context.response, 200, {
      jobs: listings.map((listing) => ({
        ...listing,
        destination: shownPath(root, listing.destination),
        last_runs: listing.last_runs.map((run) => ({
          ...run,
          file: shownPath(root, run.file),
          ...(typeof run['error'] === 'string' ? { error: withoutPaths(run['error']) } : {}),
        })),
      })),
    });
  });
  options.router.add('POST', '/v1/jobs/:name/run', async (context) => {
    const name = context.params['name'] ?? '';
    const job = jobs.find((candidate) => candidate.name === name && candidate.tenant === context.tenant);
    if (!job) throw new HttpError(404, `no export job named ${JSON.stringify(name)}`);
    const result = describeRunResult(await scheduler.runNow(name));
    sendJson(context.response, 200, 'path' in result ? { ...result, path: shownPath(root, result.path) } : result);
  });
  options.log(`export jobs: ${jobs.map((job) => job.name).join(', ') || 'none'} (from ${options.jobsFile})`);
  return scheduler;
}
