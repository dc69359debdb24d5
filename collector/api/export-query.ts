/**
 * The query string of `GET /v1/exports/{format}`: which trajectories (the filters of `GET /v1/trajectories`, plus
 * `all` as `trajectories export --all`), how many (`limit`), the encoding, and the format options of
 * `trajectories export` under the names of its flags in snake_case (`--include-unrewarded` is
 * `include_unrewarded`), with the same defaults (`defaultFormatOptions`). One zod schema takes them all, so a bad
 * value is a 400 naming the field as everywhere in the API, and a download selects exactly what the command line
 * would. The options table also says which formats each option changes, so a UI shows only the ones that apply.
 */
import { z } from 'zod';
import { creditColumns, defaultFormatOptions, type FormatOptions } from '../../src/exporters/export-format.ts';
import { parseReferenceFields } from '../../src/exporters/reference-fields.ts';
import { outputEncodings, type OutputEncoding } from '../../src/exporters/writers/record-writer.ts';
import { trajectoryFiltersSchema, type TrajectoryFiltersInput } from '../../src/trajectories/filters.ts';

/**
 * Trajectories one download exports at most. The selection's summaries are held in memory (about 1 KB each) and
 * the export holds a heavy-read slot while it runs; larger sets are for `trajectories export` or a job.
 * @default 50000
 */
export const defaultMaxExportTrajectories = 50_000;

/** One format option as `GET /v1/exports` describes it. */
export interface ExportOptionDescription {
  /** The query parameter. */
  name: string;
  description: string;
  /** What an absent parameter means; null when absent is "off". */
  default: string | number | boolean | null;
  /** The formats whose records it changes (every other format ignores it). */
  formats: string[];
}

const defaultReference = Object.entries(defaultFormatOptions.referenceFields)
  .map(([name, source]) => `${name}=${source}`)
  .join(',');

// Which option each format reads, as the format modules read them (src/exporters/formats/); the format contract
// declares no such list, so it is kept here beside the descriptions.
export const exportOptionDescriptions: readonly ExportOptionDescription[] = [
  {
    name: 'reward',
    description: `reward / credit column: ${creditColumns.join(', ')}`,
    default: defaultFormatOptions.credit,
    formats: ['art', 'agent-lightning', 'openai-sft', 'openai-dpo', 'trl-dpo', 'trl-kto', 'trl-grpo'],
  },
  {
    name: 'include_unrewarded',
    description: 'also export trajectories without a reward',
    default: defaultFormatOptions.includeUnrewarded,
    formats: ['openai-sft', 'trl-sft', 'openai-rft', 'fireworks'],
  },
  {
    name: 'margin',
    description: 'smallest reward difference of a preference pair',
    default: defaultFormatOptions.preferenceMargin,
    formats: ['openai-dpo', 'trl-dpo'],
  },
  {
    name: 'label_threshold',
    description: 'label is true when reward >= this',
    default: defaultFormatOptions.labelThreshold,
    formats: ['trl-kto'],
  },
  {
    name: 'weight_threshold',
    description: 'per-assistant-message weight 1 when the turn credit > this, else 0 (no weights when absent)',
    default: null,
    formats: ['openai-sft'],
  },
  {
    name: 'reference',
    description: 'reference fields, name=source,... (final_answer, task, task_id, reward:<name>, tool:<name>)',
    default: defaultReference,
    formats: ['openai-rft', 'fireworks'],
  },
];

/** A number in a query string: blank is not 0. */
const numberText = z
  .string()
  .trim()
  .min(1, 'not a number')
  .pipe(z.coerce.number())
  .refine(Number.isFinite, 'must be a finite number');

const booleanText = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

const referenceText = z.string().transform((text, context) => {
  try {
    return parseReferenceFields(text);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

export function exportQuerySchema(maxTrajectories = defaultMaxExportTrajectories) {
  return trajectoryFiltersSchema
    .extend({
      /** Every trajectory, complete or not (`export --all`); without it, complete ones only. */
      all: booleanText.optional(),
      limit: z.coerce.number().int().min(1).max(maxTrajectories).optional(),
      encoding: z.enum(outputEncodings).default('jsonl'),
      reward: z.enum(creditColumns).default(defaultFormatOptions.credit),
      include_unrewarded: booleanText.default(defaultFormatOptions.includeUnrewarded),
      margin: numberText.default(defaultFormatOptions.preferenceMargin),
      label_threshold: numberText.default(defaultFormatOptions.labelThreshold),
      weight_threshold: numberText.optional(),
      reference: referenceText.default(defaultFormatOptions.referenceFields),
    })
    .superRefine((query, context) => {
      if (query.all && query.complete !== undefined)
        context.addIssue({
          code: 'custom',
          path: ['all'],
          message: 'all=true takes every trajectory, so it cannot be combined with complete',
        });
    });
}

export type ExportQuery = z.output<ReturnType<typeof exportQuerySchema>>;

/** What one download exports: the selection, how many, the encoding and the format options. */
export interface ExportRequest {
  filters: TrajectoryFiltersInput;
  limit: number | undefined;
  encoding: OutputEncoding;
  options: FormatOptions;
}

export function exportRequestFrom(query: ExportQuery): ExportRequest {
  const {
    all,
    limit,
    encoding,
    reward,
    include_unrewarded,
    margin,
    label_threshold,
    weight_threshold,
    reference,
    ...filters
  } = query;
  return {
    // Said either way rather than left to selectSummaries: `complete` present but undefined is "every trajectory".
    filters: all ? { ...filters, complete: undefined } : { ...filters, complete: filters.complete ?? true },
    limit,
    encoding,
    options: {
      credit: reward,
      includeUnrewarded: include_unrewarded,
      preferenceMargin: margin,
      labelThreshold: label_threshold,
      weightThreshold: weight_threshold,
      referenceFields: reference,
    },
  };
}
