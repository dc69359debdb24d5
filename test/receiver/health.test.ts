/**
 * `/healthz` and `/metrics` of a receiver whose ClickHouse server really goes down (the HTTP interface in front
 * of embedded ClickHouse answering 503): ok, then degraded while the log absorbs the outage, then unavailable
 * once the log is over its bound and ingest answers 503, and ok again when the server is back. Neither answer
 * carries ClickHouse's text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { startClickHouseHttpServer, type ClickHouseHttpServer } from '../helpers/clickhouse-http-server.ts';
import { parsePrometheusText } from '../helpers/prometheus-text.ts';
import { startTestReceiver, temporaryDirectory } from '../helpers/test-receiver.ts';

let clickhouse: ClickHouseHttpServer;
let receiver: Receiver;
let nextSpan = 1;

beforeAll(async () => {
  clickhouse = await startClickHouseHttpServer(temporaryDirectory('clickhouse-server-'));
  receiver = await startTestReceiver({ clickhouseUrl: `${clickhouse.url}/health`, grpcPort: -1, maxLogBytes: 3000 });
});
afterAll(async () => {
  clickhouse.unavailable = false;
  await receiver?.close();
  await clickhouse?.close();
});

function postSpans(count: number): Promise<Response> {
  const spans = Array.from({ length: count }, () => ({
    traceId: '5bf92f3577b34da6a3ce929d0e0e4736',
    spanId: (nextSpan++).toString(16).padStart(16, '0'),
    name: 'chat',
    kind: 3,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000500000000',
  }));
  return fetch(`${receiver.httpUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }),
  });
}

interface HealthBody {
  status: string;
  reasons: Array<{ code: string; message: string }>;
  checks: { store: { status: string }; log: { status: string }; backlog: { bytes: number; status: string } };
}

async function health(): Promise<{ status: number; body: HealthBody; text: string }> {
  const response = await fetch(`${receiver.httpUrl}/healthz`);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as HealthBody, text };
}

async function gauge(name: string): Promise<number | undefined> {
  const response = await fetch(`${receiver.httpUrl}/metrics`);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const families = parsePrometheusText(await response.text());
  const family = families.get(name);
  expect(family?.type, name).toBe('gauge');
  return family?.samples[0]?.value;
}

describe('receiver health while its ClickHouse server goes down and comes back', () => {
  it('reports ok, then degraded, then unavailable with the ingest 503, then ok, on /healthz and /metrics', async () => {
    const healthy = await health();
    expect(healthy.status).toBe(200);
    expect(healthy.body).toMatchObject({ status: 'ok', reasons: [], checks: { store: { status: 'ok' } } });
    expect(await gauge('trajectories_health_state')).toBe(0);

    clickhouse.unavailable = true;
    expect((await postSpans(2)).status).toBe(200);
    await expect.poll(() => receiver.writer.storeFailing, { timeout: 10_000 }).toBe(true);
    const degraded = await health();
    expect(degraded.status).toBe(200);
    expect(degraded.body.status).toBe('degraded');
    expect(degraded.body.reasons.map((reason) => reason.code)).toContain('store_failing');
    expect(degraded.body.checks.store.status).toBe('failing');
    expect(degraded.body.checks.backlog.bytes).toBeGreaterThan(0);
    expect(await gauge('trajectories_health_state')).toBe(1);
    expect(await gauge('trajectories_backlog_bytes')).toBe(degraded.body.checks.backlog.bytes);

    let refused: Response | undefined;
    for (let attempt = 0; attempt < 50 && !refused; attempt++) {
      const response = await postSpans(2);
      if (response.status !== 200) refused = response;
    }
    expect(refused?.status).toBe(503);
    const refusal = await refused!.text();
    expect(refusal).toMatch(/ClickHouse is unavailable/);
    // The store's own error text ("Service Unavailable" from the server) stays in the receiver log.
    expect(refusal).not.toContain('Service Unavailable');
    const unavailable = await health();
    expect(unavailable.status).toBe(503);
    expect(unavailable.body.status).toBe('unavailable');
    expect(unavailable.body.reasons.map((reason) => reason.code)).toEqual(['store_failing_log_full']);
    expect(unavailable.body.checks.backlog.status).toBe('full');
    expect(unavailable.text).not.toContain('Service Unavailable');
    expect(await gauge('trajectories_health_state')).toBe(2);

    clickhouse.unavailable = false;
    await receiver.flush(30_000);
    await expect.poll(async () => (await health()).body.status, { timeout: 10_000 }).toBe('ok');
    expect(await gauge('trajectories_backlog_bytes')).toBe(0);
  });
});
