/**
 * Byte-level pins of every format's output: each format exports the golden trajectories (plus three that skip
 * through the message mappers and the "no output" paths) with two option sets through `writeTrajectories`,
 * and the JSONL bytes and the summary's skip reasons are compared with files written by the implementation
 * before the formats were refactored (golden-exports/). A refactor that changes one byte of a documented
 * record, or a skip reason the summary prints, fails the test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultFormatOptions, type FormatOptions } from '../../src/exporters/export-format.ts';
import { getExportFormat } from '../../src/exporters/formats/index.ts';
import { writeTrajectories } from '../../src/exporters/run-export.ts';
import type { TrajectorySource } from '../../src/exporters/trajectory-source.ts';
import type { Trajectory } from '../../src/model/trajectory.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';
import { call, goldenTrajectories, trajectory } from './golden-trajectories.ts';

const lookup = { role: 'user' as const, content: 'Look up the weather, then tell me again.' };

/** Arguments that are not JSON: TRL formats cannot parse them into an object and skip the trajectory. */
const unparsableArguments = trajectory('traj-bad-arguments', 'task-bad-arguments', 1, [
  {
    input: [lookup],
    output: {
      role: 'assistant',
      content: null,
      tool_calls: [
        { ...call('call_x', 'get_weather', {}), function: { name: 'get_weather', arguments: '{city: Paris' } },
      ],
    },
  },
  {
    input: [
      lookup,
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { ...call('call_x', 'get_weather', {}), function: { name: 'get_weather', arguments: '{city: Paris' } },
        ],
      },
    ],
    output: { role: 'assistant', content: 'Sunny.' },
  },
]);

/** A logged prompt with a tool message that names no call: RFT cannot express it. */
const idLessToolInPrompt = trajectory('traj-id-less-tool', 'task-id-less-tool', 0.7, [
  {
    input: [
      { role: 'user', content: 'Weather in Rome?' },
      { role: 'assistant', content: null, tool_calls: [call('call_r', 'get_weather', { city: 'Rome' })] },
      { role: 'tool', content: '25C' },
      { role: 'user', content: 'And tomorrow?' },
    ],
    output: { role: 'assistant', content: 'Also warm.' },
  },
]);

/** Rewarded, but its only call failed without output. */
const failedCall = trajectory('traj-failed-call', 'task-failed-call', 0.2, [
  { input: [{ role: 'user', content: 'Weather in Oslo?' }], output: null },
]);

export const bytePinnedTrajectories: Trajectory[] = [
  ...goldenTrajectories,
  unparsableArguments,
  idLessToolInPrompt,
  failedCall,
];

export const optionVariants: Record<string, FormatOptions> = {
  default: defaultFormatOptions,
  tuned: {
    ...defaultFormatOptions,
    credit: 'discounted',
    includeUnrewarded: true,
    preferenceMargin: 0.05,
    labelThreshold: 0.8,
    weightThreshold: 0.5,
    referenceFields: { ground_truth: 'final_answer', reference_answer: 'tool:get_weather', task_name: 'task' },
  },
};

export const goldenDirectory = join(import.meta.dirname, 'golden-exports');

export interface GoldenExport {
  bytes: string;
  summary: {
    records: number;
    trajectories: number;
    exportedIds: string[];
    skipped: Array<{ trajectory_id: string; reason: string }>;
  };
}

/** Exports `bytePinnedTrajectories` in `format` with the `variant` options to a JSONL file and reads it back. */
export async function goldenExport(format: string, variant: string): Promise<GoldenExport> {
  const source: TrajectorySource = {
    list: () => Promise.resolve({ trajectories: [], next_cursor: null }),
    getMany: (ids) => Promise.resolve(ids.map((id) => bytePinnedTrajectories.find((candidate) => candidate.id === id))),
  };
  const out = join(temporaryDirectory('golden-export-'), `${format}.jsonl`);
  const summary = await writeTrajectories(bytePinnedTrajectories, {
    source,
    format: getExportFormat(format),
    options: optionVariants[variant] as FormatOptions,
    out,
    encoding: 'jsonl',
  });
  return {
    bytes: readFileSync(out, 'utf8'),
    summary: {
      records: summary.records,
      trajectories: summary.trajectories,
      exportedIds: summary.exportedIds,
      skipped: summary.skipped,
    },
  };
}

export function goldenFile(format: string, variant: string, kind: 'jsonl' | 'summary.json'): string {
  return join(goldenDirectory, `${format}.${variant}.${kind}`);
}
