/**
 * Issue 10: one request whose spans carry start times in 120 different months. Partitioned by the client's start
 * time, that insert touched more than 100 partitions, ClickHouse refused it (TOO_MANY_PARTS), the writer retried it
 * forever and every tenant's later rows stayed in the log. Now the spans go in (the tables are partitioned by ingest
 * time), another tenant's later request is stored, and the writer never retried.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { queryRows, startTestReceiver } from '../helpers/test-receiver.ts';

const tokenA = 'token-for-team-a';
const tokenB = 'token-for-team-b';
const months = 120;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startTestReceiver({ authTokens: `${tokenA}=team-a,${tokenB}=team-b` });
});
afterAll(async () => {
  await receiver?.close();
});

function otlpJson(traceId: string, startTimesMillis: number[]): string {
  const spans = startTimesMillis.map((millis, index) => ({
    traceId,
    spanId: (index + 1).toString(16).padStart(16, '0'),
    name: `step ${index}`,
    kind: 1,
    startTimeUnixNano: `${BigInt(millis) * 1_000_000n}`,
    endTimeUnixNano: `${BigInt(millis + 1000) * 1_000_000n}`,
  }));
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'calendar-agent' } }] },
        scopeSpans: [{ scope: { name: 'test' }, spans }],
      },
    ],
  });
}

async function post(token: string, body: string): Promise<number> {
  const response = await fetch(`${receiver.httpUrl}/v1/traces`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
  });
  await response.arrayBuffer();
  return response.status;
}

async function storedSpans(tenant: string): Promise<number> {
  const [row] = await queryRows<{ spans: string }>(
    receiver,
    'SELECT count() AS spans FROM spans FINAL WHERE tenant = {tenant:String}',
    { tenant },
  );
  return Number(row?.spans ?? 0);
}

describe('a request with spans in 120 different months', () => {
  it('is stored, and another tenant’s later request is stored too, without the writer retrying', async () => {
    const startTimes = Array.from({ length: months }, (_, month) => Date.UTC(2010, month, 15));
    expect(await post(tokenA, otlpJson('a1'.repeat(16), startTimes))).toBe(200);
    expect(await post(tokenB, otlpJson('b2'.repeat(16), [Date.now()]))).toBe(200);

    await expect.poll(() => storedSpans('team-b'), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => storedSpans('team-a'), { timeout: 30_000 }).toBe(months);
    expect(receiver.writer.storeFailing).toBe(false);
    const retries = await receiver.metrics.writerRetries.get();
    expect(retries.values.reduce((total, value) => total + value.value, 0)).toBe(0);
    const [partitions] = await queryRows<{ partitions: string }>(
      receiver,
      "SELECT uniqExact(partition) AS partitions FROM system.parts WHERE database = currentDatabase() AND table = 'spans' AND active",
    );
    // All in the ingest month (two if the test runs across a month boundary).
    expect(Number(partitions!.partitions)).toBeLessThanOrEqual(2);
  }, 90_000);
});
