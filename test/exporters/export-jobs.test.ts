import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { loadJobsFile, type ExportJob } from '../../src/exporters/jobs/job-config.ts';
import { JobState } from '../../src/exporters/jobs/job-state.ts';
import { runExportJob, runFileName } from '../../src/exporters/jobs/run-job.ts';
import { defaultFormatOptions } from '../../src/exporters/export-format.ts';
import { getExportFormat } from '../../src/exporters/formats/index.ts';
import { exportTrajectories } from '../../src/exporters/run-export.ts';
import { apiTrajectorySource } from '../../src/exporters/trajectory-source.ts';
import { createTraceExporter, exportSpans, exportSucceeded, recordSpans } from '../helpers/export-spans.ts';
import { startTestReceiver, temporaryDirectory } from '../helpers/test-receiver.ts';
import {
  agentSpan,
  call,
  chat,
  clock,
  inside,
  message,
  response,
  rewardSpan,
  text,
  tool,
} from '../trajectories/golden-traces.ts';
import type { Trajectory, TrajectorySummary } from '../../src/model/trajectory.ts';
import type { TrajectorySource } from '../../src/exporters/trajectory-source.ts';
import { weatherToolCall } from './golden-trajectories.ts';

const quietSeconds = 1;
const directory = temporaryDirectory('export-jobs-');
const destination = join(directory, 'out');
const jobsFile = join(directory, 'jobs.yaml');
writeFileSync(
  jobsFile,
  `jobs:
  - name: grpo
    format: trl-grpo
    destination: ./out
    interval: 1d
    lookback: 2h
  - name: sft-parquet
    format: openai-sft
    encoding: parquet
    destination: ./parquet
    cron: "0 3 * * *"
`,
);

let receiver: Receiver;
let jobs: ExportJob[];
const hourAgo = Date.now() - 3_600_000;

beforeAll(async () => {
  receiver = await startTestReceiver({ quietSeconds, jobsFile });
  jobs = loadJobsFile(jobsFile);
});
afterAll(async () => {
  await receiver?.close();
});

const waitQuiet = () => new Promise((resolve) => setTimeout(resolve, quietSeconds * 1000 + 300));

/** One agent run of `task`: a chat and, unless `reward` is null, a reward span. Returns its trajectory id. */
async function sendRun(base: number, task: string, reward: number | null): Promise<string> {
  const spans: ReadableSpan[] = await recordSpans((tracer) => {
    const time = clock(base);
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
      [message('system', text('Be brief.')), message('user', text(`Solve ${task}`))],
      [message('assistant', text(`Answer to ${task}`))],
    );
    if (reward !== null) rewardSpan(tracer, time, context, 3, reward);
    agent.end(time.at(4));
  });
  const exporter = createTraceExporter('http/protobuf', receiver);
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
  await receiver.flush();
  const agent = spans.find((span) => span.name.startsWith('invoke_agent'))!;
  return `${agent.spanContext().traceId}-${agent.spanContext().spanId}`;
}

async function runThroughApi(name: string): Promise<Record<string, any>> {
  const response = await fetch(`${receiver.httpUrl}/v1/jobs/${name}/run`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, any>;
}

/** One rewarded run of `task` whose tool call arguments are the given text (not necessarily JSON). */
async function sendToolRun(base: number, task: string, argumentsText: string): Promise<void> {
  const spans: ReadableSpan[] = await recordSpans((tracer) => {
    const time = clock(base);
    const agent = agentSpan(tracer, time, 0, {
      'gen_ai.agent.name': 'solver',
      'trajectory.task.id': task,
      'trajectory.task.description': task,
    });
    const context = inside(agent);
    const ask = message('user', text('Weather in Paris?'));
    const lookup = message('assistant', call('call_1', 'get_weather', argumentsText));
    chat(tracer, time, context, 1, 2, [ask], [lookup]);
    tool(tracer, time, context, 2, 3, 'get_weather', 'call_1', argumentsText, '18C');
    chat(
      tracer,
      time,
      context,
      3,
      4,
      [ask, lookup, message('tool', response('call_1', '18C'))],
      [message('assistant', text('18C in Paris.'))],
    );
    rewardSpan(tracer, time, context, 5, 1);
    agent.end(time.at(6));
  });
  const exporter = createTraceExporter('http/protobuf', receiver);
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
  await receiver.flush();
}

/** Every trajectory id in every finished file of the job, with repetitions. */
function exportedIds(): string[] {
  return readdirSync(destination)
    .filter((name) => name.endsWith('.jsonl') && !name.includes('.tmp-'))
    .flatMap((name) => readFileSync(join(destination, name), 'utf8').trim().split('\n').filter(Boolean))
    .map((line) => (JSON.parse(line) as { trajectory_id: string }).trajectory_id);
}

describe('scheduled export jobs: exactly once per trajectory', () => {
  const rewarded: string[] = [];
  let unrewardedId: string;

  it('first run exports every complete rewarded trajectory and skips the unrewarded one', async () => {
    for (const [index, reward] of [1, 0, 0.5].entries())
      rewarded.push(await sendRun(hourAgo + index * 60_000, `task-${index}`, reward));
    unrewardedId = await sendRun(hourAgo + 200_000, 'task-unrewarded', null);
    await waitQuiet();
    const result = await runThroughApi('grpo');
    expect(result).toMatchObject({ status: 'exported', run_id: 'grpo-000001', records: 3, trajectories: 3 });
    expect(result.skippedByReason).toEqual([{ reason: 'no reward', count: 1 }]);
    expect(exportedIds().sort()).toEqual([...rewarded].sort());
    const line = JSON.parse(readFileSync(join(destination, 'grpo-000001.jsonl'), 'utf8').split('\n')[0]!);
    getExportFormat('trl-grpo').recordSchema.parse(line);
  });

  it('a rerun with nothing new exports nothing', async () => {
    expect(await runThroughApi('grpo')).toMatchObject({ status: 'nothing-to-export', reconciled: 0 });
    expect(exportedIds()).toHaveLength(3);
  });

  it('a run where every selected trajectory is skipped exports nothing and lists the reasons, as the export summary does', async () => {
    const job = jobs.find((candidate) => candidate.name === 'grpo')!;
    const result = await runExportJob(job, { client: receiver.store.client, settings: { quietSeconds } });
    expect(result).toMatchObject({ status: 'nothing-to-export', skippedByReason: [{ reason: 'no reward', count: 1 }] });
    expect(result.status === 'nothing-to-export' && result.skipped).toEqual([
      { trajectory_id: unrewardedId, reason: 'no reward' },
    ]);
    expect(exportedIds()).toHaveLength(3);
  });

  it('a crash after the rename and before the commit is reconciled on the next run without a second export', async () => {
    rewarded.push(await sendRun(hourAgo + 300_000, 'task-3', 1));
    await waitQuiet();
    const job = jobs.find((candidate) => candidate.name === 'grpo')!;
    await expect(
      runExportJob(job, {
        client: receiver.store.client,
        settings: { quietSeconds },
        afterRename: () => {
          throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    const [pending] = await new JobState(receiver.store.client, 'default', 'grpo').pendingRuns();
    expect(pending).toMatchObject({ run_id: 'grpo-000002', status: 'pending' });
    const result = await runThroughApi('grpo');
    expect(result).toMatchObject({ status: 'nothing-to-export', reconciled: 1 });
    expect(exportedIds().sort()).toEqual([...rewarded].sort());
  });

  it('a run that dies while writing leaves no file and no state; the rerun exports its trajectories once', async () => {
    rewarded.push(await sendRun(hourAgo + 400_000, 'task-4', 0.3));
    await waitQuiet();
    const job = jobs.find((candidate) => candidate.name === 'grpo')!;
    const api = apiTrajectorySource({ url: receiver.httpUrl });
    const failing = {
      list: (...page: Parameters<typeof api.list>) => api.list(...page),
      getMany: async () => {
        throw new Error('killed mid-run');
      },
    };
    await expect(
      runExportJob(job, { client: receiver.store.client, settings: { quietSeconds }, source: failing }),
    ).rejects.toThrow('killed mid-run');
    expect(readdirSync(destination).filter((name) => name.includes('.tmp-'))).toEqual([]);
    expect(await runThroughApi('grpo')).toMatchObject({ status: 'exported', records: 1 });
    expect(exportedIds().sort()).toEqual([...rewarded].sort());
  });

  it('a pending run whose file never appeared is marked failed and its trajectories are exported by the next run', async () => {
    const state = new JobState(receiver.store.client, 'default', 'grpo');
    const { lastSequence } = await state.position();
    await state.recordRun({
      run_id: `grpo-${String(lastSequence + 1).padStart(6, '0')}`,
      sequence: lastSequence + 1,
      status: 'pending',
      file: join(destination, 'never-written.jsonl'),
      format: 'trl-grpo',
      trajectory_ids: [],
      watermark_ns: '0',
      records: 0,
      bytes: 0,
      error: '',
      started_at: new Date().toISOString(),
    });
    expect(await runThroughApi('grpo')).toMatchObject({ reconciled: 1 });
    const runs = await state.runs(10);
    expect(runs.find((run) => run.sequence === lastSequence + 1)?.status).toBe('failed');
  });

  it('late trajectories that started before the watermark (within the lookback) are exported once', async () => {
    const late = await sendRun(hourAgo - 30 * 60_000, 'task-late', 1);
    rewarded.push(late);
    await waitQuiet();
    expect(await runThroughApi('grpo')).toMatchObject({ status: 'exported', records: 1 });
    expect(await runThroughApi('grpo')).toMatchObject({ status: 'nothing-to-export' });
    const ids = exportedIds();
    expect(ids.sort()).toEqual([...rewarded].sort());
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).not.toContain(unrewardedId);
  });

  it('lists jobs with their last runs through the API', async () => {
    const response = await fetch(`${receiver.httpUrl}/v1/jobs`);
    const body = (await response.json()) as { jobs: Array<Record<string, any>> };
    expect(body.jobs.map((job) => job.name)).toEqual(['grpo', 'sft-parquet']);
    expect(body.jobs[0]!.last_runs[0]).toMatchObject({ status: 'committed' });
    expect(body.jobs[1]!.schedule).toEqual({ cron: '0 3 * * *' });
    // Tenants see paths relative to the jobs file's directory, never where the server keeps it.
    expect(body.jobs[0]!.destination).toBe('out');
    const files = body.jobs[0]!.last_runs.map((run: { file: string }) => run.file).filter(Boolean);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(file).toMatch(/^out\/[\w-]+\.jsonl$/);
    expect(JSON.stringify(body)).not.toContain(directory);
  });

  it("a Parquet job is written by the receiver's own embedded ClickHouse and reads back", async () => {
    const result = await runThroughApi('sft-parquet');
    expect(result).toMatchObject({ status: 'exported', encoding: 'parquet', records: rewarded.length });
    expect(result['path']).toMatch(/^parquet\/sft-parquet-\d{6}\.parquet$/);
    const rows = await receiver.store.client.query({
      query: `SELECT messages FROM file('${join(directory, result['path'] as string)}', Parquet)`,
      format: 'JSONEachRow',
    });
    const messages = (await rows.json<{ messages: Array<{ role: string; content: string }> }>()).map(
      (row) => row.messages,
    );
    expect(messages).toHaveLength(rewarded.length);
    expect(messages[0]!.map((item) => item.role)).toEqual(['system', 'user', 'assistant']);
  });
});

describe('job runs on a stub source', () => {
  const msAsNs = (ms: number) => String(BigInt(ms) * 1_000_000n);
  /** A copy of a golden trajectory with its own id, start and last activity (ms), complete or not. */
  function at(id: string, startMs: number, lastActivityMs: number, complete: boolean): Trajectory {
    return {
      ...weatherToolCall,
      id,
      task_id: id,
      complete,
      start_time_unix_nano: msAsNs(startMs),
      end_time_unix_nano: msAsNs(lastActivityMs),
    };
  }
  /** A source serving exactly `trajectories` (the job's own `since` filter is irrelevant here). */
  function sourceOf(trajectories: Trajectory[]): TrajectorySource {
    return {
      list: async () => ({
        trajectories: trajectories.map(
          ({ tools: _t, turns: _u, rewards: _r, credit: _c, ...summary }): TrajectorySummary => summary,
        ),
        next_cursor: null,
      }),
      getMany: async (ids) => ids.map((id) => trajectories.find((trajectory) => trajectory.id === id)),
    };
  }
  const job: ExportJob = {
    name: 'watermark',
    format: 'trl-grpo',
    destination: join(directory, 'watermark'),
    schedule: { interval: 86_400_000 },
    encoding: 'jsonl',
    tenant: 'default',
    filters: {},
    formatOptions: defaultFormatOptions,
    lookbackMillis: 2 * 3_600_000,
    abandonAfterMillis: 24 * 3_600_000,
    maxTrajectoriesPerRun: 100,
  };
  const now = Date.now();

  it('an incomplete trajectory idle past abandon_after does not hold the watermark back, and the watermark never moves back', async () => {
    const state = new JobState(receiver.store.client, 'default', job.name);
    const stuck = at('traj-stuck', now - 3 * 86_400_000, now - 3 * 86_400_000, false);
    const done = at('traj-done', now - 3_600_000, now - 3_500_000, true);
    const run = (trajectories: Trajectory[]) =>
      runExportJob(job, { client: receiver.store.client, source: sourceOf(trajectories) });
    expect(await run([stuck, done])).toMatchObject({ status: 'exported' });
    expect((await state.position()).watermarkNs).toBe(BigInt(done.start_time_unix_nano));
    // Still active, started before the watermark (inside the lookback): it is picked up later, the watermark stays.
    const active = at('traj-active', now - 90 * 60_000, now, false);
    expect(await run([stuck, done, active])).toMatchObject({ status: 'nothing-to-export' });
    expect((await state.position()).watermarkNs).toBe(BigInt(done.start_time_unix_nano));
    expect(await run([stuck, done, { ...active, complete: true }])).toMatchObject({
      status: 'exported',
      summary: { exportedIds: [active.id] },
    });
  });

  it('a run whose file another process already wrote (same sequence) fails without replacing it or marking its trajectories', async () => {
    const colliding: ExportJob = { ...job, name: 'collision', destination: join(directory, 'collision') };
    const other = join(colliding.destination, runFileName(colliding, 1));
    mkdirSync(colliding.destination, { recursive: true });
    writeFileSync(other, '{"written":"by the other process"}\n');
    const trajectory = at('traj-collision', now - 3_600_000, now - 3_500_000, true);
    const source = sourceOf([trajectory]);
    await expect(runExportJob(colliding, { client: receiver.store.client, source })).rejects.toThrow(
      /already exists.*run a job from one place at a time/,
    );
    expect(readFileSync(other, 'utf8')).toBe('{"written":"by the other process"}\n');
    expect(readdirSync(colliding.destination)).toEqual([runFileName(colliding, 1)]);
    expect(await new JobState(receiver.store.client, 'default', colliding.name).exportedAmong([trajectory.id])).toEqual(
      new Set(),
    );
  });
});

describe('one-off export through the receiver API', () => {
  it('exports with filters through the API, as the CLI does while the receiver holds the store', async () => {
    const out = join(temporaryDirectory(), 'sft.jsonl');
    const summary = await exportTrajectories({
      source: apiTrajectorySource({ url: receiver.httpUrl }),
      format: getExportFormat('openai-sft'),
      options: defaultFormatOptions,
      filters: { min_reward: 0.5 },
      out,
      encoding: 'jsonl',
    });
    expect(summary.records).toBe(4);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(4);
  });

  it('the CLI prints a summary and exits 0, and exits non-zero with a message for a bad format', async () => {
    const run = promisify(execFile);
    const out = join(temporaryDirectory(), 'art.jsonl.gz');
    const cli = join(import.meta.dirname, '../../bin/trajectories.mjs');
    const { stdout } = await run('node', [
      cli,
      'export',
      '--format',
      'art',
      '--out',
      out,
      '--receiver',
      receiver.httpUrl,
    ]);
    expect(stdout).toMatch(/records\s+\d+/);
    expect(stdout).toMatch(/skipped\s+1:\n\s+1\s+no reward/);
    const failure = await run('node', [
      cli,
      'export',
      '--format',
      'nope',
      '--out',
      out,
      '--receiver',
      receiver.httpUrl,
    ]).catch((error: { code: number; stderr: string }) => error);
    expect((failure as { code: number }).code).toBe(1);
    expect((failure as { stderr: string }).stderr).toContain('unknown export format "nope"');
  });

  it('the CLI summary names a skip found while mapping messages (TRL needs JSON object arguments)', async () => {
    await sendToolRun(hourAgo + 500_000, 'task-unparsable-arguments', '{city: Paris');
    await sendToolRun(hourAgo + 600_000, 'task-parsable-arguments', '{"city":"Paris"}');
    await waitQuiet();
    const run = promisify(execFile);
    const cli = join(import.meta.dirname, '../../bin/trajectories.mjs');
    const exportTask = (task: string) =>
      run('node', [
        cli,
        'export',
        '--format',
        'trl-sft',
        '--task',
        task,
        '--out',
        join(temporaryDirectory(), 'sft.jsonl'),
        '--receiver',
        receiver.httpUrl,
      ]);
    const skipped = await exportTask('task-unparsable-arguments');
    expect(skipped.stdout).toMatch(/records\s+0\n/);
    expect(skipped.stdout).toMatch(/skipped\s+1:\n\s+1\s+arguments of a get_weather call are not JSON/);
    const written = await exportTask('task-parsable-arguments');
    expect(written.stdout).toMatch(/records\s+1\n/);
    expect(written.stdout).toMatch(/skipped\s+0\n/);
  });
});
