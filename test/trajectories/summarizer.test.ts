import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import type { TrajectorySummary } from '../../src/model/trajectory.ts';
import { createTraceExporter, exportSpans, exportSucceeded, recordSpans } from '../helpers/export-spans.ts';
import { queryRows, startTestReceiver, temporaryDirectory } from '../helpers/test-receiver.ts';
import { agentSpan, chat, clock, inside, message, rewardSpan, text } from './golden-traces.ts';

let receiver: Receiver;
const dataDir = temporaryDirectory();
const base = Date.now() - 600_000;

beforeAll(async () => {
  receiver = await startTestReceiver({ dataDir, quietSeconds: 1 });
});
afterAll(async () => {
  await receiver?.close();
});

async function send(spans: ReadableSpan[]): Promise<void> {
  const exporter = createTraceExporter('http/json', receiver);
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
}

async function list(query: string): Promise<TrajectorySummary[]> {
  const result = await fetch(`${receiver.httpUrl}/v1/trajectories?${query}`);
  expect(result.status).toBe(200);
  return ((await result.json()) as { trajectories: TrajectorySummary[] }).trajectories;
}

async function run(label: string, offsetSeconds = 0) {
  const spans = await recordSpans((tracer) => {
    const time = clock(base + offsetSeconds * 1000);
    const agent = agentSpan(tracer, time, 0, { 'gen_ai.agent.name': label });
    chat(
      tracer,
      time,
      inside(agent),
      1,
      2,
      [message('user', text(`hi ${label}`))],
      [message('assistant', text('hello'))],
    );
    rewardSpan(tracer, time, inside(agent), 3, 0.5);
    agent.end(time.at(4));
  });
  const agent = spans.find((span) => span.name.startsWith('invoke_agent'))!;
  const traceId = agent.spanContext().traceId;
  return {
    agent,
    children: spans.filter((span) => span !== agent),
    traceId,
    id: `${traceId}-${agent.spanContext().spanId}`,
  };
}

describe('the summarizer keeps trajectory_summaries current', () => {
  it('tombstones the whole-trace id once the late agent span arrives', async () => {
    const { agent, children, traceId, id } = await run('late-agent');
    await send(children);
    await receiver.flush();
    expect((await list(`trace_id=${traceId}`)).map((summary) => summary.id)).toEqual([traceId]);
    await send([agent]);
    await receiver.flush();
    expect((await list(`trace_id=${traceId}`)).map((summary) => summary.id)).toEqual([id]);
    const stored = await queryRows<{ id: string; is_deleted: number }>(
      receiver,
      'SELECT id, is_deleted FROM trajectory_summaries FINAL WHERE tenant = {tenant:String} AND trace_id = {trace_id:String}',
      { tenant: 'default', trace_id: traceId },
    );
    expect(stored).toEqual([{ id, is_deleted: 0 }]);
  });

  it('updates the final reward in the list when feedback is inserted later (with SQL, not through the API)', async () => {
    const { agent, children, traceId, id } = await run('feedback-later', 10);
    await send([agent, ...children]);
    await receiver.flush();
    expect(await list(`trace_id=${traceId}`)).toEqual([
      expect.objectContaining({ id, final_reward: 0.5, outcome: 'success' }),
    ]);
    await receiver.store.client.insert({
      table: 'feedback',
      values: [
        {
          tenant: 'default',
          trace_id: traceId,
          trajectory_id: id,
          feedback_id: 'f1',
          name: 'human',
          value: -1,
          comment: '',
          time_unix_nano: String(BigInt(Date.now()) * 1_000_000n),
        },
      ],
      format: 'JSONEachRow',
    });
    await receiver.summaries.flush();
    expect(await list(`trace_id=${traceId}`)).toEqual([
      expect.objectContaining({ id, final_reward: -1, outcome: 'failure' }),
    ]);
    expect(await list('outcome=failure')).toEqual([expect.objectContaining({ id })]);
  });

  it('summarizes what was ingested while it was stopped after a restart, from its persisted watermark', async () => {
    await receiver.flush();
    const watermark = receiver.summaries.watermarkMillis;
    expect(watermark).toBeGreaterThan(0);
    await receiver.summaries.stop();
    const { agent, children, traceId, id } = await run('while-stopped', 20);
    await send([agent, ...children]);
    // Stored (and marked dirty) but not summarized: the list does not have it yet.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await list(`trace_id=${traceId}`)).toEqual([]);
    await receiver.close();

    receiver = await startTestReceiver({ dataDir, quietSeconds: 1 });
    await receiver.flush();
    expect(receiver.summaries.watermarkMillis).toBeGreaterThan(watermark);
    expect(await list(`trace_id=${traceId}`)).toEqual([expect.objectContaining({ id, agent_name: 'while-stopped' })]);
    // Everything summarized before the restart is still listed, once.
    const all = await list('limit=100');
    expect(all.map((summary) => summary.agent_name).sort()).toEqual(['feedback-later', 'late-agent', 'while-stopped']);
  });
});
