import { status } from '@grpc/grpc-js';
import { request as httpRequest } from 'node:http';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { loadSql, renderDeployment, splitStatements } from '../../src/store/sql-files.ts';
import { rawGrpcExport } from '../helpers/raw-grpc-client.ts';
import { queryRows, startTestReceiver } from '../helpers/test-receiver.ts';

const rpc = protobuf.parse(`syntax = "proto3"; package google.rpc;
  message Any { string type_url = 1; bytes value = 2; }
  message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
  message Duration { int64 seconds = 1; int32 nanos = 2; }
  message RetryInfo { Duration retry_delay = 1; }`).root;

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
let receiver: Receiver | undefined;
let nextSpan = 1;

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

function request(spanCount = 1): string {
  const spans = Array.from({ length: spanCount }, () => {
    const spanId = (nextSpan++).toString(16).padStart(16, '0');
    return {
      traceId,
      spanId,
      name: 'chat',
      kind: 3,
      startTimeUnixNano: '1700000000000000000',
      endTimeUnixNano: '1700000000500000000',
    };
  });
  return JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
}

function post(body: string): Promise<Response> {
  return fetch(`${receiver!.httpUrl}/v1/traces`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json' },
  });
}

/** An empty ExportTraceServiceRequest in protobuf (zero bytes is a valid empty message). */
const emptyProtobufRequest = Buffer.alloc(0);

async function storedSpans(): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    receiver!,
    'SELECT count() AS n FROM spans FINAL WHERE trace_id = {t:String}',
    { t: traceId },
  );
  return Number(row?.n ?? 0);
}

describe('backpressure and store outages', () => {
  it('answers 429 with Retry-After (and gRPC RESOURCE_EXHAUSTED with RetryInfo) when the backlog is over its bound', async () => {
    receiver = await startTestReceiver({ maxPendingBytes: 1, batchLingerMillis: 3000 });
    expect((await post(request())).status).toBe(200);
    const refused = await post(request());
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { message: string }).message).toMatch(/overloaded/);

    const grpc = await rawGrpcExport(receiver.grpcAddress, emptyProtobufRequest);
    expect(grpc.error?.code).toBe(status.RESOURCE_EXHAUSTED);
    const details = grpc.error!.metadata.get('grpc-status-details-bin')[0] as Buffer;
    const decoded = rpc.lookupType('google.rpc.Status').decode(details) as unknown as {
      code: number;
      details: Array<{ type_url?: string; typeUrl?: string; value: Uint8Array }>;
    };
    expect(decoded.code).toBe(status.RESOURCE_EXHAUSTED);
    const retryInfo = decoded.details[0]!;
    expect(retryInfo.typeUrl ?? retryInfo.type_url).toBe('type.googleapis.com/google.rpc.RetryInfo');
    const delay = rpc.lookupType('google.rpc.RetryInfo').decode(retryInfo.value) as unknown as {
      retryDelay: { seconds: number | { toNumber(): number } };
    };
    expect(Number(delay.retryDelay.seconds)).toBe(1);

    await receiver.flush(10_000);
    expect(await storedSpans()).toBe(1);
  });

  it('keeps accepting into the write-ahead log while ClickHouse is unavailable, answers 503 past the bound, and stores everything acknowledged once it is back', async () => {
    receiver = await startTestReceiver({ maxLogBytes: 3000 });
    await receiver.store.client.command({ query: 'DROP TABLE spans SYNC' });
    const first = await post(request(2));
    expect(first.status).toBe(200);
    let acknowledged = 2;
    await expect.poll(() => receiver!.writer.storeFailing, { timeout: 10_000 }).toBe(true);

    let refused: Response | undefined;
    for (let attempt = 0; attempt < 50 && !refused; attempt++) {
      const response = await post(request(2));
      if (response.status === 200) acknowledged += 2;
      else refused = response;
    }
    expect(refused?.status).toBe(503);
    expect(refused?.headers.get('retry-after')).toBeTruthy();
    expect(((await refused!.json()) as { message: string }).message).toMatch(/ClickHouse is unavailable/);
    const grpc = await rawGrpcExport(receiver.grpcAddress, emptyProtobufRequest);
    expect(grpc.error?.code).toBe(status.UNAVAILABLE);
    const health = (await (await fetch(`${receiver.httpUrl}/healthz`)).json()) as { store_failing: boolean };
    expect(health.store_failing).toBe(true);

    // ClickHouse comes back (the table is re-created): the backlog drains and nothing acknowledged is lost.
    const create = splitStatements(renderDeployment(loadSql('migrations/0001_spans.sql'), {}))[0]!;
    await receiver.store.client.command({ query: create });
    // The columns a later migration added to spans (content refs), which the rows being drained fill.
    const addRefs = splitStatements(renderDeployment(loadSql('migrations/0012_content_once.sql'), {}))[1]!;
    await receiver.store.client.command({ query: addRefs });
    await receiver.flush(20_000);
    expect(await storedSpans()).toBe(acknowledged);
    expect(acknowledged).toBeGreaterThan(2);
    expect((await post(request())).status).toBe(200);
  });

  it('refuses new requests on both transports while request bodies in flight hold the memory budget', async () => {
    receiver = await startTestReceiver({ maxInflightBytes: 4000 });
    // A slow client: it declared 5000 bytes and has sent 4500 of them, which the budget holds until it finishes.
    const held = httpRequest(`${receiver.httpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': '5000' },
    });
    held.on('error', () => {});
    held.write(`{"resourceSpans": [${' '.repeat(4500 - 19)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const refused = await post(request());
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { message: string }).message).toMatch(/in flight/);
    const grpc = await rawGrpcExport(receiver.grpcAddress, Buffer.from(request()));
    expect(grpc.error?.code).toBe(status.RESOURCE_EXHAUSTED);

    held.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await post(request())).status).toBe(200);
  });
});
