/**
 * Scheduled export jobs, declared in YAML and validated with zod (errors name the job and the field):
 *
 *   jobs:
 *     - name: art-hourly             # letters, digits, - and _; names the output files
 *       format: art
 *       destination: ./exports/art   # one file per run: <name>-<sequence>.<ext>
 *       interval: 1h                 # or cron: "0 * * * *"
 *       encoding: jsonl              # jsonl | jsonl.gz | parquet
 *       tenant: default
 *       reward: final                # final | discounted | air_shaped | advantage
 *       filters: { agent: weather, min_reward: 0 }
 *       options: { include_unrewarded: false, margin: 0.1, label_threshold: 0.5, weight_threshold: 0,
 *                  reference: { ground_truth: final_answer } }
 *       lookback: 1h                 # how far behind the watermark late trajectories are still picked up
 *       abandon_after: 24h           # an incomplete trajectory idle this long stops holding the watermark back
 *       max_trajectories_per_run: 10000
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Cron } from 'croner';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { creditColumns, defaultFormatOptions, type FormatOptions } from '../export-format.ts';
import { formatNames } from '../formats/index.ts';
import { referenceFieldNameProblem, referenceSourceProblem } from '../reference-fields.ts';
import { defaultTenant } from '../../model/tenant.ts';
import { outputEncodings } from '../writers/record-writer.ts';
import { trajectoryFiltersSchema, type TrajectoryFiltersInput } from '../../trajectories/filters.ts';

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "10m", "1h", "1d" -> milliseconds. */
export function parseDurationMillis(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * (durationUnits[match[2] as string] as number);
}

/** Node timers fire at once for delays above 2^31-1 ms (about 24.8 days). */
const maxTimerMillis = 2 ** 31 - 1;

const duration = z
  .string()
  .refine((value) => (parseDurationMillis(value) ?? 0) > 0, 'a duration such as 30s, 10m, 1h or 1d')
  .refine((value) => (parseDurationMillis(value) ?? 0) <= maxTimerMillis, 'at most 24d (use cron for rarer schedules)');

/** Field name -> source, each checked as `--reference` checks them: a bad one is named in the error. */
const referenceFieldsSchema = z.record(z.string(), z.string()).superRefine((fields, context) => {
  for (const [name, source] of Object.entries(fields)) {
    const problem = referenceFieldNameProblem(name) ?? referenceSourceProblem(source);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  }
});

const jobSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, 'letters, digits, - and _ (it names the output files)'),
    format: z.string().refine((value) => formatNames.includes(value), `one of ${formatNames.join(', ')}`),
    destination: z.string().min(1),
    interval: duration.optional(),
    cron: z
      .string()
      .refine((value) => {
        try {
          new Cron(value, { paused: true }).stop();
          return true;
        } catch {
          return false;
        }
      }, 'a cron expression such as "0 * * * *"')
      .optional(),
    encoding: z.enum(outputEncodings).default('jsonl'),
    tenant: z.string().min(1).default(defaultTenant),
    reward: z.enum(creditColumns).default('final'),
    filters: trajectoryFiltersSchema.omit({ complete: true }).partial().default({}),
    options: z
      .strictObject({
        include_unrewarded: z.boolean().optional(),
        margin: z.number().optional(),
        label_threshold: z.number().optional(),
        weight_threshold: z.number().optional(),
        reference: referenceFieldsSchema.optional(),
      })
      .default({}),
    lookback: duration.default('1h'),
    abandon_after: duration.default('24h'),
    max_trajectories_per_run: z.number().int().positive().default(10_000),
  })
  .refine((job) => (job.interval === undefined) !== (job.cron === undefined), {
    error: 'give exactly one of interval or cron',
    path: ['interval'],
  });

const jobsFileSchema = z.strictObject({ jobs: z.array(z.unknown()) });

export interface ExportJob {
  name: string;
  format: string;
  destination: string;
  schedule: { interval: number } | { cron: string };
  encoding: (typeof outputEncodings)[number];
  tenant: string;
  /** Filters as written (validated); the runner adds the watermark and completeness. */
  filters: TrajectoryFiltersInput;
  formatOptions: FormatOptions;
  lookbackMillis: number;
  /** An incomplete trajectory with no activity for this long no longer holds the watermark back. @default 24h */
  abandonAfterMillis: number;
  maxTrajectoriesPerRun: number;
}

export function parseJobs(text: string, origin: string, baseDirectory: string): ExportJob[] {
  const document = jobsFileSchema.safeParse(parseYaml(text));
  if (!document.success) throw new Error(`${origin}: expected a "jobs:" list`);
  const jobs: ExportJob[] = [];
  const names = new Set<string>();
  document.data.jobs.forEach((raw, index) => {
    const label =
      typeof raw === 'object' && raw !== null && 'name' in raw
        ? `job ${JSON.stringify(raw.name)}`
        : `job #${index + 1}`;
    const parsed = jobSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${origin}: ${label}: ${issue?.path.join('.') || 'job'}: ${issue?.message ?? 'invalid'}`);
    }
    const job = parsed.data;
    if (names.has(job.name)) throw new Error(`${origin}: ${label}: duplicate job name`);
    names.add(job.name);
    const rawFilters = (raw as { filters?: TrajectoryFiltersInput }).filters ?? {};
    jobs.push({
      name: job.name,
      format: job.format,
      destination: resolve(baseDirectory, job.destination),
      schedule:
        job.interval !== undefined
          ? { interval: parseDurationMillis(job.interval) as number }
          : { cron: job.cron as string },
      encoding: job.encoding,
      tenant: job.tenant,
      filters: rawFilters,
      formatOptions: {
        credit: job.reward,
        includeUnrewarded: job.options.include_unrewarded ?? defaultFormatOptions.includeUnrewarded,
        preferenceMargin: job.options.margin ?? defaultFormatOptions.preferenceMargin,
        labelThreshold: job.options.label_threshold ?? defaultFormatOptions.labelThreshold,
        weightThreshold: job.options.weight_threshold,
        referenceFields: job.options.reference ?? defaultFormatOptions.referenceFields,
      },
      lookbackMillis: parseDurationMillis(job.lookback) as number,
      abandonAfterMillis: parseDurationMillis(job.abandon_after) as number,
      maxTrajectoriesPerRun: job.max_trajectories_per_run,
    });
  });
  return jobs;
}

/** Reads a jobs file; relative destinations are relative to the file's directory. */
export function loadJobsFile(path: string): ExportJob[] {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new Error(`cannot read jobs file ${absolute}: ${(error as Error).message}`, { cause: error });
  }
  return parseJobs(text, absolute, resolve(absolute, '..'));
}
