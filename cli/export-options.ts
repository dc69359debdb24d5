/**
 * The option tables of `trajectories export`: what to select (the filters of `GET /v1/trajectories`), how to
 * shape records (format options, defaults taken from `defaultFormatOptions`), and where to write. Values come in
 * validated by the tables' schemas; the filters then go through the API's own filter schema, so the command line
 * and the API accept exactly the same filters.
 */
import { z } from 'zod';
import type { OptionTable, OptionValues } from '../src/config/option-definition.ts';
import { creditColumns, defaultFormatOptions, type FormatOptions } from '../src/exporters/export-format.ts';
import { formatNames } from '../src/exporters/formats/index.ts';
import { parseReferenceFields } from '../src/exporters/reference-fields.ts';
import { outputEncodings } from '../src/exporters/writers/record-writer.ts';
import { defaultTenant } from '../src/model/tenant.ts';
import { trajectoryFiltersSchema, describeIssue, type TrajectoryFiltersInput } from '../src/trajectories/filters.ts';

/** A number typed on the command line: blank is not 0. */
const numberText = z.string().trim().min(1, 'not a number').pipe(z.coerce.number());
const optionalText = z.string().min(1).optional();

export const outputOptions = {
  format: {
    flag: '--format <format>',
    schema: z.string().min(1),
    description: `output format: ${formatNames.join(', ')}`,
  },
  out: {
    flag: '--out <path>',
    schema: z.string().min(1),
    description: 'output file (written atomically; .jsonl, .jsonl.gz or .parquet)',
  },
  outputFormat: {
    flag: '--output-format <encoding>',
    schema: z.enum(outputEncodings).optional(),
    description: `${outputEncodings.join(', ')} (default: from the file name)`,
  },
  limit: {
    flag: '--limit <n>',
    schema: numberText.pipe(z.number().int().positive()).optional(),
    description: 'at most this many trajectories',
  },
  tenant: {
    flag: '--tenant <tenant>',
    schema: z.string().min(1).default(defaultTenant),
    description: "tenant when reading a store directly (through a receiver it is the token's)",
  },
} satisfies OptionTable;

export const filterOptions = {
  since: {
    flag: '--since <time>',
    schema: optionalText,
    description: 'trajectories of traces started at or after this time (RFC 3339 or unix ms/ns)',
  },
  until: {
    flag: '--until <time>',
    schema: optionalText,
    description: 'trajectories of traces started before this time',
  },
  agent: { flag: '--agent <name>', schema: optionalText, description: 'agent name' },
  tag: { flag: '--tag <tag>', schema: optionalText, description: 'trajectories annotated with this tag' },
  humanReviewed: {
    flag: '--human-reviewed <bool>',
    schema: z.enum(['true', 'false']).optional(),
    description: 'trajectories a person marked reviewed (true) or not (false)',
  },
  task: { flag: '--task <task>', schema: optionalText, description: 'task id or exact task description' },
  outcome: { flag: '--outcome <outcome>', schema: optionalText, description: 'success, failure or unknown' },
  minReward: { flag: '--min-reward <n>', schema: optionalText, description: 'smallest final reward' },
  maxReward: { flag: '--max-reward <n>', schema: optionalText, description: 'largest final reward' },
  all: {
    flag: '--all',
    schema: z.boolean().default(false),
    description: 'include incomplete trajectories (default: complete only)',
  },
} satisfies OptionTable;

const defaultReference = Object.entries(defaultFormatOptions.referenceFields)
  .map(([name, source]) => `${name}=${source}`)
  .join(',');

export const formatOptions = {
  reward: {
    flag: '--reward <column>',
    schema: z.enum(creditColumns).default(defaultFormatOptions.credit),
    description: 'reward / credit column',
  },
  includeUnrewarded: {
    flag: '--include-unrewarded',
    schema: z.boolean().default(defaultFormatOptions.includeUnrewarded),
    description: 'SFT and RFT formats: also export trajectories without a reward',
  },
  margin: {
    flag: '--margin <n>',
    schema: numberText.default(defaultFormatOptions.preferenceMargin),
    description: 'DPO formats: smallest reward difference of a pair',
  },
  labelThreshold: {
    flag: '--label-threshold <n>',
    schema: numberText.default(defaultFormatOptions.labelThreshold),
    description: 'trl-kto: label is true when reward >= this',
  },
  weightThreshold: {
    flag: '--weight-threshold <n>',
    schema: numberText.optional(),
    description: 'openai-sft: per-assistant-message weight 1 when the turn credit > this, else 0',
  },
  reference: {
    flag: '--reference <fields>',
    schema: z.string().default(defaultReference),
    description:
      'openai-rft/fireworks reference fields, name=source,... (final_answer, task, task_id, reward:<name>, tool:<name>)',
  },
} satisfies OptionTable;

export function filtersFromOptions(options: OptionValues<typeof filterOptions>): TrajectoryFiltersInput {
  const filters: TrajectoryFiltersInput = {};
  if (options.since) filters.since = options.since;
  if (options.until) filters.until = options.until;
  if (options.agent) filters.agent = options.agent;
  if (options.tag) filters.tag = options.tag;
  if (options.humanReviewed) filters.human_reviewed = options.humanReviewed === 'true';
  if (options.task) filters.task = options.task;
  if (options.outcome) filters.outcome = options.outcome as TrajectoryFiltersInput['outcome'];
  if (options.minReward) filters.min_reward = options.minReward;
  if (options.maxReward) filters.max_reward = options.maxReward;
  // `complete` present but undefined is "every trajectory": an absent key would mean complete only (selectSummaries).
  filters.complete = options.all ? undefined : true;
  const parsed = trajectoryFiltersSchema.safeParse(filters);
  if (!parsed.success) throw new Error(`invalid filter: ${describeIssue(parsed.error)}`);
  return filters;
}

export function formatOptionsFromOptions(options: OptionValues<typeof formatOptions>): FormatOptions {
  return {
    credit: options.reward,
    includeUnrewarded: options.includeUnrewarded,
    preferenceMargin: options.margin,
    labelThreshold: options.labelThreshold,
    weightThreshold: options.weightThreshold,
    referenceFields: parseReferenceFields(options.reference),
  };
}
