import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSummarizer, type Summarizer } from '../../collector/summaries/summarizer.ts';
import type { Receiver } from '../../collector/receiver.ts';
import type { TrajectorySummary } from '../../src/model/trajectory.ts';
import { createTraceExporter, exportSpans, exportSucceeded, recordSpans } from '../helpers/export-spans.ts';
import { queryRows, startTestReceiver } from '../helpers/test-receiver.ts';
import { agentSpan, chat, clock, inside, message, text } from './golden-traces.ts';

let receiver: Receiver;
let summarizer: Summarizer;
const base = Date.now() - 600_000;

beforeAll(async () => {
  receiver = await startTestReceiver({ quietSeconds: 1 });
  // The receiver's own summarizer stays out of the way: only the one under test writes summaries.
  await receiver.summaries.stop();
  summarizer = createSummarizer(receiver.store.client, { name: 'small-batches', batchTraces: 2 });
});
afterAll(async () => {
  await summarizer?.stop();
  await receiver?.close();
});

async function stored(): Promise<void> {
  for (;;) {
    const health = (await (await fetch(`${receiver.httpUrl}/healthz`)).json()) as { pending_bytes: number };
    if (health.pending_bytes === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function traces(labels: string[], offsetSeconds: number): Promise<{ spans: ReadableSpan[]; ids: string[] }> {
  const spans = await recordSpans((tracer) => {
    labels.forEach((label, index) => {
      const time = clock(base + (offsetSeconds + index) * 1000);
      const agent = agentSpan(tracer, time, 0, { 'gen_ai.agent.name': label });
      chat(
        tracer,
        time,
        inside(agent),
        1,
        2,
        [message('user', text(`hi ${label}`))],
        [message('assistant', text('hi'))],
      );
      agent.end(time.at(3));
    });
  });
  const agents = spans.filter((span) => span.name.startsWith('invoke_agent'));
  return { spans, ids: agents.map((span) => `${span.spanContext().traceId}-${span.spanContext().spanId}`) };
}

async function send(spans: ReadableSpan[]): Promise<void> {
  const exporter = createTraceExporter('http/json', receiver);
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
  await stored();
}

async function listedIds(): Promise<string[]> {
  const result = await fetch(`${receiver.httpUrl}/v1/trajectories?limit=100`);
  expect(result.status).toBe(200);
  return ((await result.json()) as { trajectories: TrajectorySummary[] }).trajectories.map((summary) => summary.id);
}

describe('the summarizer reads dirty marks in bounded batches', () => {
  it('never cuts one insert in half: a batch of 2 takes all 7 traces marked in the same millisecond', async () => {
    const labels = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const { spans, ids } = await traces(labels, 0);
    await send(spans);
    const marks = await queryRows<{ marks: number | string }>(
      receiver,
      'SELECT uniqExact(ingested_at) AS marks FROM dirty_traces WHERE tenant = {tenant:String}',
      { tenant: 'default' },
    );
    // The premise: one request is one insert, so every trace carries the same mark.
    expect(Number(marks[0]?.marks)).toBe(1);

    expect(await summarizer.pollOnce()).toBe(7);
    expect((await listedIds()).sort()).toEqual([...ids].sort());
    expect(await summarizer.pollOnce()).toBe(0);
  });

  it('works through a backlog larger than a batch, in order, and then summarizes what arrives next', async () => {
    const before = summarizer.watermarkMillis;
    const first = await traces(['h'], 20);
    await send(first.spans);
    const second = await traces(['i'], 30);
    await send(second.spans);
    const third = await traces(['j'], 40);
    await send(third.spans);
    // Three inserts, three marks, batches of two: the first poll takes the two oldest, the next the third.
    expect(await summarizer.pollOnce()).toBe(2);
    const listed = await listedIds();
    expect(listed).toEqual(expect.arrayContaining([...first.ids, ...second.ids]));
    expect(listed).not.toContain(third.ids[0]);
    await summarizer.flush();
    expect(await listedIds()).toEqual(expect.arrayContaining(third.ids));
    expect(summarizer.watermarkMillis).toBeGreaterThan(before);
    expect(summarizer.stats.traces).toBeGreaterThanOrEqual(10);
  });
});
