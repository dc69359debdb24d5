import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { defaultFormatOptions } from '../../src/exporters/export-format.ts';
import { getExportFormat } from '../../src/exporters/formats/index.ts';
import { selectSummaries, writeTrajectories } from '../../src/exporters/run-export.ts';
import { storeTrajectorySource, type TrajectorySource } from '../../src/exporters/trajectory-source.ts';
import type { TrajectorySummary } from '../../src/model/trajectory.ts';
import { defaultTenant } from '../../src/model/tenant.ts';
import { createTraceExporter, exportSpans, exportSucceeded, recordSpans } from '../helpers/export-spans.ts';
import { startTestReceiver, temporaryDirectory } from '../helpers/test-receiver.ts';
import { agentSpan, chat, clock, inside, message, rewardSpan, text } from '../trajectories/golden-traces.ts';

const quietSeconds = 1;
const directory = temporaryDirectory('export-batches-');
let receiver: Receiver;
let source: TrajectorySource;
let summaries: TrajectorySummary[];

/** Rewards of each task's runs; null is a run without a reward (not a group member). */
const runs: Array<[task: string, reward: number | null]> = [
  ['task-a', 0],
  ['task-b', 1],
  ['task-a', 0.25],
  ['task-a', null],
  ['task-c', 0.5],
  ['task-a', 1],
  ['task-b', 0],
  ['task-a', 0.75],
  ['task-b', 0.5],
  ['task-a', 1],
];

async function sendRun(index: number, task: string, reward: number | null): Promise<void> {
  const spans: ReadableSpan[] = await recordSpans((tracer) => {
    const time = clock(Date.now() - 3_600_000 + index * 10_000);
    const agent = agentSpan(tracer, time, 0, {
      'gen_ai.agent.name': 'solver',
      'trajectory.task.id': task,
      'trajectory.task.description': task,
    });
    const context = inside(agent);
    chat(
      tracer,
      time,
      context,
      1,
      2,
      [message('system', text('Be brief.')), message('user', text(`Solve ${task}, attempt ${index}`))],
      [message('assistant', text(`Answer ${index}`))],
    );
    if (reward !== null) rewardSpan(tracer, time, context, 3, reward);
    agent.end(time.at(4));
  });
  const exporter = createTraceExporter('http/protobuf', receiver);
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
}

beforeAll(async () => {
  receiver = await startTestReceiver({ quietSeconds });
  for (const [index, [task, reward]] of runs.entries()) await sendRun(index, task, reward);
  await receiver.flush();
  source = storeTrajectorySource(receiver.store.client, defaultTenant, { quietSeconds });
  // Group members are read from the stored summaries: wait until every run is summarized and quiet.
  const deadline = Date.now() + 30_000;
  for (;;) {
    summaries = await selectSummaries(source, {});
    if (summaries.length === runs.length) break;
    if (Date.now() > deadline) throw new Error(`only ${summaries.length} of ${runs.length} runs were summarized`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  summaries.sort((a, b) => a.start_time_unix_nano.localeCompare(b.start_time_unix_nano));
}, 60_000);
afterAll(async () => {
  await receiver?.close();
});

async function exportFile(
  format: string,
  selection: TrajectorySummary[],
  batchTrajectories: number,
  from: TrajectorySource = source,
) {
  const out = join(directory, `${format}-${batchTrajectories}-${Math.random().toString(16).slice(2)}.jsonl`);
  const summary = await writeTrajectories(selection, {
    source: from,
    format: getExportFormat(format),
    options: defaultFormatOptions,
    out,
    encoding: 'jsonl',
    batchTrajectories,
  });
  return { summary, text: readFileSync(out, 'utf8') };
}

/** Population mean and standard deviation, as GRPO advantages use them. */
function advantageIn(rewards: number[], reward: number): number {
  if (rewards.length <= 1) return 0;
  const mean = rewards.reduce((sum, value) => sum + value, 0) / rewards.length;
  const std = Math.sqrt(rewards.reduce((sum, value) => sum + (value - mean) ** 2, 0) / rewards.length);
  return std < 1e-12 ? 0 : (reward - mean) / std;
}

describe('exports read in batches', () => {
  it('write the same bytes whatever the batch size, with GRPO groups that span batches', async () => {
    const files = await Promise.all([1, 2, 3, 256].map((size) => exportFile('trl-grpo', summaries, size)));
    for (const file of files.slice(1)) {
      expect(file.text).toBe(files[0]!.text);
      expect(file.summary.skipped).toEqual(files[0]!.summary.skipped);
    }
    const records = files[0]!.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { task_id: string; reward: number; advantage: number });
    // Every rewarded run is a record; the one without a reward is skipped.
    expect(records).toHaveLength(runs.filter(([, reward]) => reward !== null).length);
    expect(files[0]!.summary.skipped).toHaveLength(1);
    for (const record of records) {
      const group = runs.filter(([task, reward]) => task === record.task_id && reward !== null).map(([, r]) => r!);
      expect(record.advantage).toBeCloseTo(advantageIn(group, record.reward), 9);
    }
    expect(records.filter((record) => record.task_id === 'task-c').map((record) => record.advantage)).toEqual([0]);
  });

  it('count group members outside the export with their stored summaries', async () => {
    // Leave two members of task-a out of the export: their groups still include them.
    const leftOut = summaries.filter((summary) => summary.task_id === 'task-a').slice(0, 2);
    const selection = summaries.filter((summary) => !leftOut.includes(summary));
    const [whole, exported] = await Promise.all([
      exportFile('trl-grpo', summaries, 256),
      exportFile('trl-grpo', selection, 2),
    ]);
    const advantages = (text: string) =>
      new Map(
        text
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { trajectory_id: string; advantage: number })
          .map((record) => [record.trajectory_id, record.advantage]),
      );
    const all = advantages(whole.text);
    const some = advantages(exported.text);
    expect(some.size).toBe(all.size - leftOut.length);
    for (const [id, advantage] of some) expect(advantage).toBe(all.get(id));
  });

  it('give the advantages that one read per batch gives (a source without per-export reads)', async () => {
    const perBatch: TrajectorySource = {
      list: (filters, page) => source.list(filters, page),
      getMany: (ids) => source.getMany(ids),
    };
    const [prepared, plain] = await Promise.all([
      exportFile('trl-grpo', summaries, 3),
      exportFile('trl-grpo', summaries, 3, perBatch),
    ]);
    const parse = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { trajectory_id: string; advantage: number });
    const expected = parse(plain.text);
    const actual = parse(prepared.text);
    expect(actual.map((record) => record.trajectory_id)).toEqual(expected.map((record) => record.trajectory_id));
    actual.forEach((record, index) => expect(record.advantage).toBeCloseTo(expected[index]!.advantage, 12));
  });

  it('give task-grouped formats whole tasks whatever the batch size', async () => {
    const [small, large] = await Promise.all([exportFile('art', summaries, 1), exportFile('art', summaries, 256)]);
    expect(small.text).not.toBe('');
    expect(small.text).toBe(large.text);
    expect(small.summary.skipped).toEqual(large.summary.skipped);
    expect(small.summary.exportedIds).toEqual(large.summary.exportedIds);
  });
});
