/**
 * The server deployment path: the receiver with --clickhouse-url speaks HTTP to "a ClickHouse server" (a
 * ClickHouse HTTP interface over the embedded engine, test/helpers/clickhouse-http-server.ts), so migrations,
 * ingest inserts, trace reads, the summarizer and the trajectory API all run through @clickhouse/client's HTTP
 * transport with the same SQL as the embedded path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../collector/receiver.ts';
import type { TrajectorySummary } from '../../src/model/trajectory.ts';
import { listMigrations } from '../../src/store/migrate.ts';
import { startClickHouseHttpServer, type ClickHouseHttpServer } from '../helpers/clickhouse-http-server.ts';
import {
  createTraceExporter,
  exportSpans,
  exportSucceeded,
  produceAgentRun,
  recordSpans,
} from '../helpers/export-spans.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

let clickhouse: ClickHouseHttpServer;
let receiver: Receiver;

beforeAll(async () => {
  clickhouse = await startClickHouseHttpServer(temporaryDirectory('clickhouse-server-'));
  receiver = await startReceiver({
    httpPort: 0,
    grpcPort: 0,
    dataDir: temporaryDirectory(),
    walSync: 'none',
    batchLingerMillis: 5,
    quietSeconds: 0,
    clickhouseUrl: `${clickhouse.url}/agents`,
  });
});
afterAll(async () => {
  await receiver?.close();
  await clickhouse?.close();
});

describe('receiver on a ClickHouse server (HTTP)', () => {
  it('migrates the database named in the URL and stores, reads and assembles spans over HTTP', async () => {
    expect(receiver.store.embedded).toBe(false);
    expect(receiver.store.database).toBe('agents');
    expect(clickhouse.statements.some((statement) => /CREATE DATABASE IF NOT EXISTS `agents`/.test(statement))).toBe(
      true,
    );
    expect(clickhouse.statements.some((statement) => /CREATE TABLE IF NOT EXISTS spans/.test(statement))).toBe(true);
    // The same migration code as the embedded path: checksums recorded, derived definitions re-applied.
    const recorded = await (
      await receiver.store.client.query({
        query: 'SELECT version, checksum FROM schema_migrations FINAL ORDER BY version',
        format: 'JSONEachRow',
      })
    ).json<{ version: number; checksum: string }>();
    expect(recorded).toEqual(listMigrations().map(({ version, checksum }) => ({ version, checksum })));
    for (const view of [
      'trajectory_spans',
      'turns',
      'trajectories',
      'credit',
      'trace_index_mv',
      'dirty_traces_spans_mv',
    ]) {
      // Views are replaced; materialized views are given their current SELECT in place (MODIFY QUERY).
      const definition = view.endsWith('_mv')
        ? new RegExp(`^ALTER TABLE ${view} +MODIFY QUERY SELECT\\b`)
        : new RegExp(`^CREATE OR REPLACE VIEW ${view}\\s`);
      expect(
        clickhouse.statements.some((statement) => definition.test(statement)),
        view,
      ).toBe(true);
    }

    const spans = await recordSpans((tracer) => produceAgentRun(tracer, 'server'));
    const exporter = createTraceExporter('http/protobuf', receiver);
    expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
    await exporter.shutdown();
    await receiver.flush();

    const traceId = spans[0]!.spanContext().traceId;
    const trace = (await (await fetch(`${receiver.httpUrl}/v1/traces/${traceId}`)).json()) as {
      spans: Array<{ kind: string; tool_result: string }>;
    };
    expect(trace.spans.map((span) => span.kind).sort()).toEqual(['agent', 'llm', 'tool']);
    expect(clickhouse.statements.some((statement) => /^INSERT INTO spans SETTINGS/.test(statement))).toBe(true);

    const list = (await (await fetch(`${receiver.httpUrl}/v1/trajectories?trace_id=${traceId}`)).json()) as {
      trajectories: TrajectorySummary[];
    };
    expect(list.trajectories).toHaveLength(1);
    const trajectory = (await (
      await fetch(`${receiver.httpUrl}/v1/trajectories/${list.trajectories[0]!.id}`)
    ).json()) as { turns: Array<{ tool_calls: Array<{ result: string }> }> };
    expect(trajectory.turns[0]?.tool_calls[0]?.result).toBe('sunny');
  });

  it('keeps acknowledging into the write-ahead log while the server is down and stores it all once it is back', async () => {
    clickhouse.unavailable = true;
    const spans = await recordSpans((tracer) => produceAgentRun(tracer, 'outage'));
    const exporter = createTraceExporter('http/json', receiver);
    expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
    await exporter.shutdown();
    await expect.poll(() => receiver.writer.storeFailing, { timeout: 10_000 }).toBe(true);
    // Reads meanwhile say the store is unavailable (503, retry later), not a bug, and leak no ClickHouse text.
    const read = await fetch(`${receiver.httpUrl}/v1/trajectories`);
    expect(read.status).toBe(503);
    expect(read.headers.get('retry-after')).toBe('5');
    expect(await read.json()).toEqual({ error: 'the store is unavailable; retry later' });
    clickhouse.unavailable = false;
    await receiver.flush(30_000);
    const traceId = spans[0]!.spanContext().traceId;
    const trace = (await (await fetch(`${receiver.httpUrl}/v1/traces/${traceId}`)).json()) as { spans: unknown[] };
    expect(trace.spans).toHaveLength(3);
  });
});
