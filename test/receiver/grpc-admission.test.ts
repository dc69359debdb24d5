/**
 * OTLP/gRPC admission: a call is authenticated and admitted on its metadata, before grpc-js reads its message, so
 * an unauthenticated client cannot make the receiver buffer what it sends; admitted messages are charged to the
 * shared in-flight budget and released; a stream that stalls mid-message is answered within the body-idle timeout
 * and its bytes released; connections are capped; an unexpected error is answered with a stable message; every
 * answer is counted in /metrics, a message over the size limit as too large.
 */
import { scrapeMetric, waitFor } from '../helpers/prometheus-text.ts';
import { spawn } from 'node:child_process';
import { request as httpRequest, type ClientRequest } from 'node:http';
import {
  connect as connectHttp2,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
} from 'node:http2';
import { connect, type Socket } from 'node:net';
import { Server, status } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bindGrpcServer, createGrpcServer } from '../../collector/grpc/server.ts';
import { InflightBudget } from '../../collector/ingest/inflight-budget.ts';
import type { Receiver } from '../../collector/receiver.ts';
import {
  createTraceExporter,
  exportSpans,
  exportSucceeded,
  produceAgentRun,
  recordSpans,
} from '../helpers/export-spans.ts';
import { rawGrpcExport } from '../helpers/raw-grpc-client.ts';
import { startTestReceiver } from '../helpers/test-receiver.ts';

const token = 'grpc-admission-token';
const budgetBytes = 1024 * 1024;
const maxConnections = 6;
const bodyIdleMillis = 1000;
const maxRequestBytes = 4 * 1024 * 1024;
let receiver: Receiver;
const openClients: Array<ClientRequest | Socket | ClientHttp2Session> = [];

beforeAll(async () => {
  receiver = await startTestReceiver({
    authTokens: `${token}=team-a`,
    maxInflightBytes: budgetBytes,
    maxConnections,
    bodyIdleTimeoutMillis: bodyIdleMillis,
    maxRequestBytes,
  });
});

afterAll(async () => {
  await receiver.close();
});

afterEach(async () => {
  // Closed connections are waited for, so the connection-cap test counts only its own.
  await Promise.all(
    openClients.splice(0).map(
      (client) =>
        new Promise((resolve) => {
          if (client.destroyed) return resolve(undefined);
          client.once('close', resolve);
          client.destroy();
        }),
    ),
  );
  await waitFor(async () => (await metric('trajectories_inflight_bytes')) === 0);
});

/** A sample of the receiver's /metrics, the first series whose name and labels start with `series`. */
function metric(series: string): Promise<number> {
  return scrapeMetric(receiver.httpUrl, series);
}

/** An authenticated HTTP client that has sent `bytes` of a body it never finishes: the budget holds them. */
function holdBudget(bytes: number): void {
  const client = httpRequest(`${receiver.httpUrl}/v1/traces`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Content-Length': String(bytes + 1024),
      Authorization: `Bearer ${token}`,
    },
  });
  client.on('error', () => {});
  openClients.push(client);
  client.write(`{"resourceSpans": [${' '.repeat(bytes - 19)}`);
  const timer = setInterval(() => client.write(' '), 100);
  client.on('close', () => clearInterval(timer));
}

/**
 * A raw HTTP/2 client that starts an authenticated Export call declaring a `declaredBytes` message and sends
 * `sentBytes` of it without ending the stream (so it stalls unless the caller writes more).
 */
function rawExportStream(declaredBytes: number, sentBytes: number): ClientHttp2Stream {
  const session = connectHttp2(`http://${receiver.grpcAddress}`);
  session.on('error', () => {});
  openClients.push(session);
  const stream = session.request({
    ':method': 'POST',
    ':path': '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    'content-type': 'application/grpc',
    te: 'trailers',
    authorization: `Bearer ${token}`,
  });
  stream.on('error', () => {});
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(declaredBytes, 1);
  stream.write(Buffer.concat([prefix, Buffer.alloc(sentBytes)]));
  return stream;
}

const responseOf = (stream: ClientHttp2Stream) =>
  new Promise<IncomingHttpHeaders>((resolve) => stream.once('response', resolve));

/**
 * Sends `count` concurrent `megabytes` MiB Export messages without a token from a child process (so the client's
 * own buffers are not in this process's memory) and returns the status codes it got.
 */
function unauthenticatedFlood(address: string, count: number, megabytes: number): Promise<number[]> {
  const script = `
    import { credentials, makeGenericClientConstructor, Metadata } from '@grpc/grpc-js';
    const identity = (value) => value;
    const Client = makeGenericClientConstructor({ Export: {
      path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', requestStream: false, responseStream: false,
      requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity,
    } }, 'OtlpExport');
    const client = new Client(${JSON.stringify(address)}, credentials.createInsecure());
    const body = Buffer.alloc(${megabytes} * 1024 * 1024, 0x20);
    const codes = await Promise.all(Array.from({ length: ${count} }, () => new Promise((resolve) =>
      client.Export(body, new Metadata(), (error) => resolve(error ? error.code : 0)))));
    console.log(JSON.stringify(codes));
    client.close();
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd() });
    let output = '';
    child.stdout.on('data', (data: Buffer) => (output += data.toString()));
    child.stderr.on('data', (data: Buffer) => (output += data.toString()));
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(output) as number[]) : reject(new Error(`client failed: ${output}`)),
    );
  });
}

describe('OTLP/gRPC admission', () => {
  it('refuses unauthenticated calls before their messages are buffered', async () => {
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
    const codes = await unauthenticatedFlood(receiver.grpcAddress, 4, 24);
    clearInterval(sampler);

    expect(codes).toEqual([
      status.UNAUTHENTICATED,
      status.UNAUTHENTICATED,
      status.UNAUTHENTICATED,
      status.UNAUTHENTICATED,
    ]);
    // 4 x 24 MiB were sent; buffering them would take at least that much.
    expect(peak - baseline).toBeLessThan(32 * 1024 * 1024);
    expect(await metric('trajectories_rejections_total{transport="grpc",reason="unauthenticated"}')).toBe(4);
    expect(await metric('trajectories_received_bytes_total{transport="grpc"')).toBe(0);
  });

  it('refuses an authenticated message mid-read once the shared budget is spent, and releases what it held', async () => {
    holdBudget(600 * 1024);
    await waitFor(async () => (await metric('trajectories_inflight_bytes')) >= 600 * 1024);

    const refused = await rawGrpcExport(receiver.grpcAddress, Buffer.alloc(2 * 1024 * 1024), {
      authorization: `Bearer ${token}`,
    });
    expect(refused.error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(refused.error?.details).toMatch(/in flight/);
    expect(refused.error?.metadata.get('grpc-status-details-bin')).toHaveLength(1);
    // Only the HTTP client's bytes remain held.
    await waitFor(async () => (await metric('trajectories_inflight_bytes')) < 700 * 1024);
  });

  it('refuses a call before reading it while the budget is exhausted, and takes it once the budget frees', async () => {
    holdBudget(budgetBytes + 1024);
    await waitFor(async () => (await metric('trajectories_inflight_bytes')) > budgetBytes);
    const refused = await rawGrpcExport(receiver.grpcAddress, Buffer.alloc(0), { authorization: `Bearer ${token}` });
    expect(refused.error?.code).toBe(status.RESOURCE_EXHAUSTED);

    for (const client of openClients.splice(0)) client.destroy();
    await waitFor(async () => (await metric('trajectories_inflight_bytes')) === 0);
    const exporter = createTraceExporter('grpc', {
      httpUrl: receiver.httpUrl,
      grpcAddress: receiver.grpcAddress,
      headers: { authorization: `Bearer ${token}` },
    });
    const spans = await recordSpans((tracer) => produceAgentRun(tracer));
    expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
    await exporter.shutdown();
    expect(
      await metric('trajectories_export_requests_total{transport="grpc",signal="traces",outcome="accepted"}'),
    ).toBeGreaterThan(0);
    expect(await metric('trajectories_accepted_items_total{signal="traces"}')).toBeGreaterThanOrEqual(spans.length);
    expect(await metric('trajectories_received_bytes_total{transport="grpc",signal="traces"}')).toBeGreaterThan(0);
  });

  it('answers a stream that stalls mid-message within the idle timeout and releases its bytes for others', async () => {
    // Alone, a call may exceed the budget: this one holds all of it, so the next call is refused before reading.
    const stalled = responseOf(rawExportStream(2 * 1024 * 1024, budgetBytes + 64 * 1024));
    await waitFor(async () => (await metric('trajectories_inflight_bytes')) > budgetBytes);
    const stalledAt = Date.now();
    const refused = await rawGrpcExport(receiver.grpcAddress, Buffer.alloc(0), { authorization: `Bearer ${token}` });
    expect(refused.error?.code).toBe(status.RESOURCE_EXHAUSTED);

    const answer = await stalled;
    expect(Number(answer['grpc-status'])).toBe(status.DEADLINE_EXCEEDED);
    expect(decodeURI(String(answer['grpc-message']))).toMatch(
      /no bytes for 1000 ms \(TRAJECTORIES_BODY_IDLE_TIMEOUT_MS\)/,
    );
    // Well within the 120 s request timeout; the idle timer is what answered.
    expect(Date.now() - stalledAt).toBeLessThan(10 * bodyIdleMillis);
    expect(await metric('trajectories_inflight_bytes')).toBe(0);
    expect(await metric('trajectories_rejections_total{transport="grpc",reason="timeout"}')).toBe(1);

    const admitted = await rawGrpcExport(receiver.grpcAddress, Buffer.alloc(0), { authorization: `Bearer ${token}` });
    expect(admitted.error).toBeNull();
  });

  it('counts a message over the size limit once, as too large, however much of it arrives after the answer', async () => {
    const overloadedBefore = await metric('trajectories_rejections_total{transport="grpc",reason="overloaded"}');
    const stream = rawExportStream(maxRequestBytes + 1, 16 * 1024);
    const answer = await responseOf(stream);
    expect(Number(answer['grpc-status'])).toBe(status.RESOURCE_EXHAUSTED);
    expect(decodeURI(String(answer['grpc-message']))).toMatch(/larger than max/);
    // The rest of the message, which the receiver reads only to discard it.
    stream.end(Buffer.alloc(256 * 1024));
    await new Promise((resolve) => stream.once('close', resolve));

    await waitFor(
      async () => (await metric('trajectories_rejections_total{transport="grpc",reason="too_large"}')) === 1,
    );
    expect(await metric('trajectories_rejections_total{transport="grpc",reason="overloaded"}')).toBe(overloadedBefore);
    expect(await metric('trajectories_inflight_bytes')).toBe(0);
  });

  it(`closes connections beyond ${maxConnections} on accept`, async () => {
    const sockets = Array.from({ length: maxConnections + 1 }, () => {
      const socket = connect(receiver.grpcPort, '127.0.0.1');
      socket.on('error', () => {});
      openClients.push(socket);
      const outcome = new Promise<'settings' | 'closed'>((resolve) => {
        // An accepted HTTP/2 connection starts with the server's SETTINGS frame.
        socket.once('data', () => resolve('settings'));
        socket.once('close', () => resolve('closed'));
      });
      return outcome;
    });
    const outcomes = await Promise.all(sockets);
    expect(outcomes.filter((outcome) => outcome === 'settings')).toHaveLength(maxConnections);
    expect(outcomes.filter((outcome) => outcome === 'closed')).toHaveLength(1);
  });
});

describe('OTLP/gRPC unexpected errors', () => {
  it('answers INTERNAL with a stable message and logs the detail', async () => {
    const logged: unknown[] = [];
    const detail = 'Code: 241. DB::Exception: Memory limit exceeded at /var/lib/clickhouse/store';
    const server = createGrpcServer({
      exportPath: {
        export: () => Promise.reject(new Error(detail)),
        refusalBeforeRead: () => undefined,
      },
      inflight: new InflightBudget(budgetBytes),
      tokens: undefined,
      maxRequestBytes: budgetBytes,
      onError: (error) => logged.push(error),
    });
    const port = await bindGrpcServer(server, '127.0.0.1', 0);
    try {
      const answer = await rawGrpcExport(`127.0.0.1:${port}`, Buffer.alloc(0));
      expect(answer.error?.code).toBe(status.INTERNAL);
      expect(answer.error?.details).toBe('internal error; the receiver log has the details');
      expect((logged[0] as Error).message).toBe(detail);
    } finally {
      await new Promise<void>((resolve) => (server as Server).tryShutdown(() => resolve()));
    }
  });
});
