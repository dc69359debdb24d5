import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { demoStrategies, demoTasks, runDemoAgents } from '../../examples/demo-runs.ts';
import { startModelServer, type ModelServer } from '../../examples/model-server.ts';
import { register, type InstrumentationHandle } from '../../instrumentation/src/index.ts';
import { convertBatch } from '../../src/exporters/convert-batch.ts';
import { defaultFormatOptions } from '../../src/exporters/export-format.ts';
import { exportFormats, getExportFormat } from '../../src/exporters/formats/index.ts';
import { apiTrajectorySource } from '../../src/exporters/trajectory-source.ts';
import type { Trajectory } from '../../src/model/trajectory.ts';
import { startTestReceiver } from '../helpers/test-receiver.ts';

const quietSeconds = 1;
let receiver: Receiver;
let server: ModelServer;
let instrumentation: InstrumentationHandle;
let trajectories: Trajectory[];
const runsPerInvocation = demoTasks.length * demoStrategies.length;

beforeAll(async () => {
  receiver = await startTestReceiver({ quietSeconds });
  server = await startModelServer();
  // What `npm run demo` does, twice, against a test receiver.
  instrumentation = register({
    serviceName: 'demo-agent',
    endpoint: receiver.httpUrl,
    modules: { openai: OpenAI },
    autoInstrument: false,
  });
  const openai = new OpenAI({ baseURL: server.openaiBaseUrl, apiKey: 'local', maxRetries: 0 });
  await runDemoAgents(openai);
  await runDemoAgents(openai);
  await instrumentation.shutdown();
  await receiver.flush();
  await new Promise((resolve) => setTimeout(resolve, quietSeconds * 1000 + 300));
  await receiver.flush();
  // Read as `trajectories export` does, through the receiver's API.
  const source = apiTrajectorySource({ url: receiver.httpUrl });
  const page = await source.list({ complete: true }, { limit: 100 });
  trajectories = (await source.getMany(page.trajectories.map((summary) => summary.id))).filter(
    (trajectory): trajectory is Trajectory => trajectory !== undefined,
  );
}, 60_000);

afterAll(async () => {
  await server?.close();
  await receiver?.close();
});

describe('the demo feeds every export format', () => {
  it('makes new trajectories on every invocation: two invocations, twice the trajectories, no rollout id shared', () => {
    expect(trajectories).toHaveLength(2 * runsPerInvocation);
    expect(new Set(trajectories.map((trajectory) => trajectory.rollout_id)).size).toBe(2 * runsPerInvocation);
    expect(trajectories.every((trajectory) => trajectory.final_reward !== null)).toBe(true);
  });

  it('gives every task runs that did well and runs that did not', () => {
    for (const task of demoTasks) {
      const rewards = new Set(trajectories.filter((item) => item.task_id === task.id).map((item) => item.final_reward));
      expect(rewards.size, task.id).toBeGreaterThan(1);
    }
  });

  it.each(exportFormats.map((format) => format.name))('%s: the first export has records', (name) => {
    const { records } = convertBatch(getExportFormat(name), trajectories, defaultFormatOptions);
    expect(records.length).toBeGreaterThan(0);
  });

  it('yields a DPO pair for every task and GRPO advantages that are not zero', () => {
    const pairs = convertBatch(getExportFormat('trl-dpo'), trajectories, defaultFormatOptions).records;
    expect(pairs.length).toBeGreaterThanOrEqual(demoTasks.length);
    const grpo = convertBatch(getExportFormat('trl-grpo'), trajectories, {
      ...defaultFormatOptions,
      credit: 'advantage',
    }).records as Array<{ advantage: number | null }>;
    expect(grpo).toHaveLength(trajectories.length);
    expect(grpo.every((record) => record.advantage !== null && record.advantage !== 0)).toBe(true);
  });
});
