/**
 * A store summarized before migration 0015 has trajectory summaries but no `trajectory_calls`: the migration marks
 * its traces dirty once, and the summarizer writes their calls. Simulated on a fresh store by emptying the table
 * and forgetting the migration, then restarting on the same directory.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import {
  createTraceExporter,
  exportSpans,
  exportSucceeded,
  produceAgentRun,
  recordSpans,
} from '../helpers/export-spans.ts';
import { queryRows, startTestReceiver, temporaryDirectory } from '../helpers/test-receiver.ts';

const dataDir = temporaryDirectory('calls-backfill-');
let receiver: Receiver | undefined;

afterAll(async () => {
  await receiver?.close();
});

const callCount = async (target: Receiver) =>
  Number((await queryRows<{ calls: string }>(target, 'SELECT count() AS calls FROM trajectory_calls FINAL'))[0]!.calls);

describe('migration 0015 on a store summarized before it', () => {
  it('has the summarizer write the calls of every trajectory summarized before', async () => {
    receiver = await startTestReceiver({ dataDir });
    const exporter = createTraceExporter('http/protobuf', receiver);
    expect(exportSucceeded(await exportSpans(exporter, await recordSpans((tracer) => produceAgentRun(tracer))))).toBe(
      true,
    );
    await exporter.shutdown();
    await receiver.flush();
    const calls = await callCount(receiver);
    expect(calls).toBeGreaterThan(0);

    // Back to the state of a store from before 0015: summaries, no calls, the migration not recorded.
    await receiver.store.client.command({ query: 'TRUNCATE TABLE trajectory_calls' });
    // And no marks the restarted summarizer's overlap window would re-read: only the migration can bring them back.
    await receiver.store.client.command({ query: 'TRUNCATE TABLE dirty_traces' });
    await receiver.store.client.command({
      query: 'ALTER TABLE schema_migrations DELETE WHERE version = 15',
      clickhouse_settings: { mutations_sync: '2' },
    });
    await receiver.close();

    receiver = await startTestReceiver({ dataDir });
    const deadline = Date.now() + 30_000;
    while ((await callCount(receiver)) < calls && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await callCount(receiver)).toBe(calls);
  });
});
