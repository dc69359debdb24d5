/**
 * Retention on the real receiver: a sweep run as if two days had passed deletes the traces of tenants kept for a
 * day, whole and with everything derived, keeps those of a tenant kept longer or forever, and a restart on the
 * same data directory brings nothing back. Bad retention settings stop the start naming the variable.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import {
  createTraceExporter,
  exportSpans,
  exportSucceeded,
  produceAgentRun,
  recordSpans,
} from '../helpers/export-spans.ts';
import { startTestReceiver, temporaryDirectory, traceRowCounts } from '../helpers/test-receiver.ts';

const dataDir = temporaryDirectory('retention-');
const options = {
  dataDir,
  authTokens: 'token-aaaa=team-a,token-bbbb=team-b,token-cccc=team-c',
  retentionDays: 1,
  retentionDaysByTenant: 'team-b=5,team-c=forever',
};
let receiver: Receiver;
const traces = new Map<string, string>();

async function send(token: string, tenant: string): Promise<void> {
  const spans: ReadableSpan[] = await recordSpans((tracer) => produceAgentRun(tracer, tenant));
  traces.set(tenant, spans[0]!.spanContext().traceId);
  const exporter = createTraceExporter('http/protobuf', { ...receiver, headers: { Authorization: `Bearer ${token}` } });
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
}

/** Rows of the tenant's trace in every table that names traces. */
async function storedRows(tenant: string): Promise<number> {
  const counts = await traceRowCounts(receiver, traces.get(tenant)!);
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

beforeAll(async () => {
  receiver = await startTestReceiver(options);
  await send('token-aaaa', 'team-a');
  await send('token-bbbb', 'team-b');
  await send('token-cccc', 'team-c');
  await receiver.flush();
}, 60_000);

afterAll(async () => {
  await receiver?.close();
});

describe('retention', () => {
  it('keeps everything younger than the retention', async () => {
    expect(await receiver.retention.sweep()).toEqual(new Map());
    for (const tenant of ['team-a', 'team-b', 'team-c']) expect(await storedRows(tenant)).toBeGreaterThan(0);
  });

  it('deletes whole traces past their tenant’s retention, and only those', async () => {
    const deleted = await receiver.retention.sweep(Date.now() + 2 * 86_400_000);
    expect(deleted).toEqual(new Map([['team-a', 1]]));
    expect(await storedRows('team-a')).toBe(0);
    expect(await storedRows('team-b')).toBeGreaterThan(0);
    expect(await storedRows('team-c')).toBeGreaterThan(0);
    // Past team-b's five days too; team-c is kept forever.
    expect(await receiver.retention.sweep(Date.now() + 6 * 86_400_000)).toEqual(new Map([['team-b', 1]]));
    expect(await storedRows('team-c')).toBeGreaterThan(0);
  });

  it('stays deleted after a restart', async () => {
    await receiver.close();
    receiver = await startTestReceiver(options);
    await receiver.flush();
    expect(await storedRows('team-a')).toBe(0);
    expect(await storedRows('team-b')).toBe(0);
    expect(await storedRows('team-c')).toBeGreaterThan(0);
  }, 60_000);

  it('refuses a bad per-tenant setting, naming the variable', async () => {
    await expect(
      startTestReceiver({ dataDir: temporaryDirectory(), retentionDaysByTenant: 'team-a=soon' }),
    ).rejects.toThrow(/TRAJECTORIES_RETENTION_DAYS_BY_TENANT|retentionDaysByTenant.*tenant=days/);
  });
});
