import { status } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const statusType = protobuf
  .parse(
    `syntax = "proto3"; package google.rpc;
    message Any { string type_url = 1; bytes value = 2; }
    message Status { int32 code = 1; string message = 2; repeated Any details = 3; }`,
  )
  .root.lookupType('google.rpc.Status');

let receiver: Receiver;
const tokenA = 'token-for-team-a';
const tokenB = 'token-for-team-b';

beforeAll(async () => {
  receiver = await startTestReceiver({ authTokens: `${tokenA}=team-a,${tokenB}=team-b` });
});
afterAll(async () => {
  await receiver?.close();
});

describe('bearer-token auth and tenant isolation', () => {
  it('refuses OTLP/HTTP without a valid token with 401, and OTLP/gRPC with UNAUTHENTICATED', async () => {
    const spans = await recordSpans((tracer) => produceAgentRun(tracer));
    for (const headers of [{}, { Authorization: 'Bearer wrong-token-123' }] as Array<Record<string, string>>) {
      const exporter = createTraceExporter('http/protobuf', { ...receiver, headers });
      const result = await exportSpans(exporter, spans);
      await exporter.shutdown();
      expect(exportSucceeded(result)).toBe(false);
    }
    const unauthenticated = await fetch(`${receiver.httpUrl}/v1/traces`, {
      method: 'POST',
      body: '{}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('www-authenticate')).toMatch(/Bearer/);
    const grpc = await rawGrpcExport(receiver.grpcAddress, Buffer.alloc(0), { authorization: 'Bearer nope-nope-nope' });
    expect(grpc.error?.code).toBe(status.UNAUTHENTICATED);
    expect((await fetch(`${receiver.httpUrl}/healthz`)).status).toBe(200);
    // Without a token even unknown routes answer 401: the route table is not disclosed.
    expect((await fetch(`${receiver.httpUrl}/v1/jobs`)).status).toBe(401);
    expect(
      (await fetch(`${receiver.httpUrl}/v1/no-such-route`, { headers: { Authorization: `Bearer ${tokenA}` } })).status,
    ).toBe(404);
  });

  it('answers a refusal on an OTLP route with a google.rpc.Status in the request encoding, and on the API with { error }', async () => {
    const json = await fetch(`${receiver.httpUrl}/v1/traces`, {
      method: 'POST',
      body: '{}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(json.status).toBe(401);
    expect(await json.json()).toEqual({ code: 16, message: expect.stringMatching(/^missing bearer token/) });

    const binary = await fetch(`${receiver.httpUrl}/v1/logs`, {
      method: 'POST',
      body: new Uint8Array(0),
      headers: { 'Content-Type': 'application/x-protobuf', Authorization: 'Bearer wrong-token-123' },
    });
    expect(binary.status).toBe(401);
    expect(binary.headers.get('content-type')).toBe('application/x-protobuf');
    const decoded = statusType.toObject(statusType.decode(new Uint8Array(await binary.arrayBuffer())));
    expect(decoded).toEqual({ code: 16, message: expect.stringMatching(/^invalid bearer token/) });

    const wrongMethod = await fetch(`${receiver.httpUrl}/v1/traces`, {
      headers: { Authorization: `Bearer ${tokenA}` },
    });
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toEqual({ code: 3, message: 'GET is not allowed on /v1/traces' });

    const api = await fetch(`${receiver.httpUrl}/v1/trajectories`, {
      headers: { Authorization: 'Bearer wrong-token-123' },
    });
    expect(api.status).toBe(401);
    expect(await api.json()).toEqual({ error: expect.stringMatching(/^invalid bearer token/) });
  });

  it("stores each tenant's spans under its tenant and never shows them to another", async () => {
    const spans = await recordSpans((tracer) => produceAgentRun(tracer, 'secret'));
    const traceId = spans[0]!.spanContext().traceId;
    const exporter = createTraceExporter('grpc', { ...receiver, headers: { Authorization: `Bearer ${tokenA}` } });
    expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
    await exporter.shutdown();
    await receiver.flush();

    const asA = await fetch(`${receiver.httpUrl}/v1/traces/${traceId}`, {
      headers: { Authorization: `Bearer ${tokenA}` },
    });
    expect(asA.status).toBe(200);
    const body = (await asA.json()) as { spans: Array<{ tenant: string }> };
    expect(body.spans.map((span) => span.tenant)).toEqual(['team-a', 'team-a', 'team-a']);
    const asB = await fetch(`${receiver.httpUrl}/v1/traces/${traceId}`, {
      headers: { Authorization: `Bearer ${tokenB}` },
    });
    expect(asB.status).toBe(404);
    expect((await fetch(`${receiver.httpUrl}/v1/traces/${traceId}`)).status).toBe(401);
  });
});
