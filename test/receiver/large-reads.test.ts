/**
 * Issue 10: a big read must not stall the receiver. One 20k-span trajectory is read through the API while the
 * same process (the receiver runs in it) measures its event loop's delay and keeps probing /healthz and OTLP
 * export; reads beyond the span limit are refused with the paged read to use instead, a trace reads page by
 * page to the same spans, and clients that stop reading a large answer lose their connection instead of keeping
 * the large-read slots from everyone else.
 */
import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTraceRoutes } from '../../collector/api/trace-routes.ts';
import { addTrajectoryRoutes } from '../../collector/api/trajectory-routes.ts';
import { createHttpServer } from '../../collector/http/server.ts';
import { Router } from '../../collector/http/router.ts';
import type { Receiver } from '../../collector/receiver.ts';
import {
  createTraceExporter,
  exportSpans,
  exportSucceeded,
  produceAgentRun,
  recordSpans,
} from '../helpers/export-spans.ts';
import { inBatches, recordLargeTrajectory } from '../helpers/large-trajectory.ts';
import { startTestReceiver } from '../helpers/test-receiver.ts';

const calls = 10_000;
let receiver: Receiver;
let traceId: string;
let trajectoryId: string;
let spanCount: number;

beforeAll(async () => {
  receiver = await startTestReceiver({ quietSeconds: 1 });
  const spans = await recordLargeTrajectory(calls, Date.now() - 3_600_000);
  spanCount = spans.length;
  traceId = spans[0]!.spanContext().traceId;
  const exporter = createTraceExporter('http/protobuf', receiver);
  for (const batch of inBatches(spans)) expect(exportSucceeded(await exportSpans(exporter, batch))).toBe(true);
  await exporter.shutdown();
  await receiver.flush();
  const page = (await (await fetch(`${receiver.httpUrl}/v1/trajectories?trace_id=${traceId}`)).json()) as {
    trajectories: Array<{ id: string }>;
  };
  trajectoryId = page.trajectories[0]?.id ?? '';
  expect(trajectoryId).not.toBe('');
}, 120_000);
afterAll(async () => {
  await receiver?.close();
});

/** Reads `path` while probing /healthz and OTLP export; the loop's worst delay and what the probes saw. */
async function readWhileProbing(path: string) {
  const small = await recordSpans((tracer) => produceAgentRun(tracer, 'probe'));
  const exporter = createTraceExporter('http/protobuf', receiver);
  const probes: Array<{ health: number; exported: boolean }> = [];
  let reading = true;
  const probing = (async () => {
    while (reading) {
      const health = await fetch(`${receiver.httpUrl}/healthz`);
      await health.arrayBuffer();
      probes.push({ health: health.status, exported: exportSucceeded(await exportSpans(exporter, small)) });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const answer = await fetch(`${receiver.httpUrl}${path}`);
  // Parsed after measuring: tens of MB in one JSON.parse would be the test's own stall, not the receiver's.
  const bytes = await answer.arrayBuffer();
  delay.disable();
  const body = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  reading = false;
  await probing;
  await exporter.shutdown();
  return { status: answer.status, body, maxDelayMillis: delay.max / 1e6, probes };
}

describe('a large read', () => {
  it('keeps the event loop responsive while a 20k-span trajectory is read', async () => {
    const read = await readWhileProbing(`/v1/trajectories/${trajectoryId}`);
    expect(read.status).toBe(200);
    expect((read.body['turns'] as unknown[]).length).toBe(calls);
    // Before the fix one read held the loop for 3-5 s (assembly was quadratic in turns, then one stringify).
    expect(read.maxDelayMillis).toBeLessThan(500);
    expect(read.probes.length).toBeGreaterThan(0);
    expect(read.probes.every((probe) => probe.health === 200 && probe.exported)).toBe(true);
  }, 60_000);

  it('keeps the event loop responsive while its 20k-span trace is read', async () => {
    const read = await readWhileProbing(`/v1/traces/${traceId}`);
    expect(read.status).toBe(200);
    expect((read.body['spans'] as unknown[]).length).toBe(spanCount);
    expect(read.maxDelayMillis).toBeLessThan(500);
    expect(read.probes.every((probe) => probe.health === 200 && probe.exported)).toBe(true);
  }, 60_000);
});

describe('read limits', () => {
  let server: Server;
  let url: string;
  const maxSpansPerRead = 8_000;

  beforeAll(async () => {
    const router = new Router();
    addTraceRoutes(router, receiver.store.client, { readLimits: { maxSpansPerRead } });
    addTrajectoryRoutes(router, receiver.store.client, { quietSeconds: 1, readLimits: { maxSpansPerRead } });
    server = createHttpServer({ router, tokens: undefined });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses a trajectory over the limit, naming the limit and the paged read', async () => {
    const answer = await fetch(`${url}/v1/trajectories/${trajectoryId}`);
    expect(answer.status).toBe(422);
    const { error } = (await answer.json()) as { error: string };
    expect(error).toContain(`has ${spanCount} spans`);
    expect(error).toContain(`${maxSpansPerRead}`);
    expect(error).toContain(`GET /v1/traces/{trace_id}?limit=${maxSpansPerRead}&offset=0`);
    expect(error).toContain(traceId);
  });

  it('refuses a whole trace over the limit and serves it page by page, the same spans in the same order', async () => {
    const whole = await fetch(`${url}/v1/traces/${traceId}`);
    expect(whole.status).toBe(422);
    expect(((await whole.json()) as { error: string }).error).toContain(`?limit=${maxSpansPerRead}&offset=0`);

    const paged: Array<{ span_id: string }> = [];
    let offset: number | null = 0;
    let pages = 0;
    while (offset !== null) {
      const answer = await fetch(`${url}/v1/traces/${traceId}?limit=${maxSpansPerRead}&offset=${offset}`);
      expect(answer.status).toBe(200);
      const page = (await answer.json()) as { spans: Array<{ span_id: string }>; next_offset: number | null };
      paged.push(...page.spans);
      offset = page.next_offset;
      pages++;
    }
    expect(pages).toBe(Math.ceil(spanCount / maxSpansPerRead));
    const full = (await (await fetch(`${receiver.httpUrl}/v1/traces/${traceId}`)).json()) as {
      spans: Array<{ span_id: string }>;
    };
    expect(paged).toEqual(full.spans);
  }, 60_000);

  it('answers 400 for a page larger than the limit', async () => {
    const answer = await fetch(`${url}/v1/traces/${traceId}?limit=${maxSpansPerRead + 1}`);
    expect(answer.status).toBe(400);
  });
});

describe('a client that stops reading a large answer', () => {
  let server: Server;
  let port: number;
  const writeStallMillis = 1000;

  beforeAll(async () => {
    const router = new Router();
    // The slots are the receiver's (one gate per store): 2 by default, which two stalled readers fill.
    addTraceRoutes(router, receiver.store.client, { readLimits: { writeStallMillis } });
    server = createHttpServer({ router, tokens: undefined });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** Requests the trace, reads the answer's first bytes (its headers) and then stops reading without closing. */
  function stalledReader(): Promise<Socket> {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(`GET /v1/traces/${traceId} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    return new Promise((resolve) =>
      socket.once('data', () => {
        socket.pause();
        resolve(socket);
      }),
    );
  }

  it('loses its connection once writes stall, so a later large read gets a slot', async () => {
    const stalled = await Promise.all([stalledReader(), stalledReader()]);

    // Before the fix both slots stayed taken and this read queued until the receiver restarted.
    const answer = await fetch(`http://127.0.0.1:${port}/v1/traces/${traceId}`);
    expect(answer.status).toBe(200);
    const body = Buffer.from(await answer.arrayBuffer());
    expect((JSON.parse(body.toString('utf8')) as { spans: unknown[] }).spans.length).toBe(spanCount);

    // Read on, the stalled clients find their answers cut off: the receiver closed their connections.
    const received = await Promise.all(
      stalled.map(
        (socket) =>
          new Promise<number>((resolve) => {
            let bytes = 0;
            socket.on('data', (data: Buffer) => (bytes += data.length));
            socket.once('close', () => resolve(bytes));
            socket.resume();
          }),
      ),
    );
    for (const bytes of received) expect(bytes).toBeLessThan(body.length);
  }, 60_000);
});
