/**
 * Options shared by `trajectories export` and the job config: filters and format options from their
 * command-line spelling, validated once with messages that name the bad value.
 */
import type { Command } from 'commander';
import { creditColumns, defaultFormatOptions, type CreditColumn, type FormatOptions } from '../src/exporters/export-format.ts';
import { parseReferenceFields } from '../src/exporters/reference-fields.ts';
import { trajectoryFiltersSchema, describeIssue, type TrajectoryFiltersInput } from '../src/trajectories/filters.ts';

export function addFilterOptions(command: Command): Command {
  return command
    .option('--since <time>', 'trajectories of traces started at or after this time (RFC 3339 or unix ms/ns)')
    .option('--until <time>', 'trajectories of traces started before this time')
    .option('--agent <name>', 'agent name')
    .option('--task <task>', 'task id or exact task description')
    .option('--outcome <outcome>', 'success, failure or unknown')
    .option('--min-reward <n>', 'smallest final reward')
    .option('--max-reward <n>', 'largest final reward')
    .option('--all', 'include incomplete trajectories (default: complete only)');
}

export function addFormatOptions(command: Command): Command {
  return command
    .option('--reward <column>', `reward / credit column: ${creditColumns.join(', ')}`, 'final')
    .option('--include-unrewarded', 'SFT and RFT formats: also export trajectories without a reward')
    .option('--margin <n>', 'DPO formats: smallest reward difference of a pair', String(defaultFormatOptions.preferenceMargin))
    .option('--label-threshold <n>', 'trl-kto: label is true when reward >= this', String(defaultFormatOptions.labelThreshold))
    .option('--weight-threshold <n>', 'openai-sft: per-assistant-message weight 1 when the turn credit > this, else 0')
    .option('--reference <fields>', 'openai-rft/fireworks reference fields, name=source,... (final_answer, task, task_id, reward:<name>, tool:<name>)', 'ground_truth=final_answer');
}

function finiteNumber(value: string, option: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) throw new Error(`${option} ${JSON.stringify(value)} is not a number`);
  return number;
}

export function filtersFromOptions(options: Record<string, unknown>): TrajectoryFiltersInput {
  const filters: TrajectoryFiltersInput = {};
  const text = (key: string) => (typeof options[key] === 'string' ? (options[key] as string) : undefined);
  if (text('since')) filters.since = text('since');
  if (text('until')) filters.until = text('until');
  if (text('agent')) filters.agent = text('agent');
  if (text('task')) filters.task = text('task');
  if (text('outcome')) filters.outcome = text('outcome') as TrajectoryFiltersInput['outcome'];
  if (text('minReward')) filters.min_reward = text('minReward');
  if (text('maxReward')) filters.max_reward = text('maxReward');
  if (!options['all']) filters.complete = true;
  const parsed = trajectoryFiltersSchema.safeParse(filters);
  if (!parsed.success) throw new Error(`invalid filter: ${describeIssue(parsed.error)}`);
  return filters;
}

export function formatOptionsFromOptions(options: Record<string, unknown>): FormatOptions {
  const credit = String(options['reward'] ?? 'final');
  if (!(creditColumns as readonly string[]).includes(credit)) throw new Error(`--reward ${JSON.stringify(credit)}: one of ${creditColumns.join(', ')}`);
  const weight = options['weightThreshold'];
  return {
    credit: credit as CreditColumn,
    includeUnrewarded: Boolean(options['includeUnrewarded']),
    preferenceMargin: finiteNumber(String(options['margin'] ?? defaultFormatOptions.preferenceMargin), '--margin'),
    labelThreshold: finiteNumber(String(options['labelThreshold'] ?? defaultFormatOptions.labelThreshold), '--label-threshold'),
    weightThreshold: typeof weight === 'string' ? finiteNumber(weight, '--weight-threshold') : undefined,
    referenceFields: parseReferenceFields(String(options['reference'] ?? 'ground_truth=final_answer')),
  };
}
