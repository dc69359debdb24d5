/**
 * Test helper for real clients end to end: a receiver on port 0 with embedded ClickHouse in a temporary directory,
 * and a tracer provider that exports over the real OTLP/HTTP exporter to it (and keeps a copy in memory, so a test
 * knows which traces its calls made). A global AsyncLocalStorage context manager is registered, as an agent's
 * NodeSDK does, so sessions and association properties set on the context reach the spans. Reads go through the
 * HTTP API the way a user's would: `GET /v1/traces/{trace_id}`, `GET /v1/trajectories`, `GET /v1/trajectories/{id}`.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect } from 'vitest';
import type { Receiver } from '../../../collector/receiver.ts';
import type { CanonicalSpan } from '../../../src/model/span.ts';
import type { Trajectory, TrajectorySummary } from '../../../src/model/trajectory.ts';
import { startTestReceiver } from '../../helpers/test-receiver.ts';

export interface StoredAgentRuns {
  receiver: Receiver;
  tracerProvider: BasicTracerProvider;
  /** Every span the provider finished, in memory as well as sent. */
  memory: InMemorySpanExporter;
  /** Exports what is finished and waits until the store and the trajectory summaries have it. */
  flush(): Promise<void>;
  /** Trace ids of the finished spans, in the order their first span finished. */
  traceIds(): string[];
  storedTrace(traceId: string): Promise<CanonicalSpan[]>;
  trajectories(): Promise<TrajectorySummary[]>;
  trajectory(id: string): Promise<Trajectory>;
  close(): Promise<void>;
}

export async function startStoredAgentRuns(serviceName: string): Promise<StoredAgentRuns> {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const receiver = await startTestReceiver();
  const memory = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [
      new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${receiver.httpUrl}/v1/traces` })),
      new SimpleSpanProcessor(memory),
    ],
  });
  const getJson = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${receiver.httpUrl}${path}`);
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };
  return {
    receiver,
    tracerProvider,
    memory,
    async flush() {
      await tracerProvider.forceFlush();
      await receiver.flush();
    },
    traceIds() {
      return [...new Set(memory.getFinishedSpans().map((span) => span.spanContext().traceId))];
    },
    async storedTrace(traceId) {
      return (await getJson<{ spans: CanonicalSpan[] }>(`/v1/traces/${traceId}`)).spans;
    },
    async trajectories() {
      return (await getJson<{ trajectories: TrajectorySummary[] }>('/v1/trajectories?limit=100')).trajectories;
    },
    trajectory(id) {
      return getJson<Trajectory>(`/v1/trajectories/${encodeURIComponent(id)}`);
    },
    async close() {
      await tracerProvider.shutdown();
      await receiver.close();
      context.disable();
    },
  };
}
