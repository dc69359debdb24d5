/**
 * Migration 0013 partitions spans and events by ingest month instead of the client's start time. A store migrated
 * up to 0012 keeps every row and value through the rebuild (logged with its row count), the materialized views that
 * read the tables keep firing after the EXCHANGE, a start after the migration finished but was not recorded copies
 * nothing again, a start that died part-way (mid-copy, or after the exchange) finishes the job with every row once,
 * and FINAL still collapses a span delivered again in a later month, which now lands in another partition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/client.ts';
import { listMigrations, migrate } from '../../src/store/migrate.ts';
import { loadSql, renderDeployment, splitStatements } from '../../src/store/sql-files.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

const migrationVersion = 13;
const dataDir = temporaryDirectory();
let store: Store;

async function rows<T>(query: string): Promise<T[]> {
  return (await store.client.query({ query, format: 'JSONEachRow' })).json<T>();
}

async function runStatements(sql: string): Promise<void> {
  for (const statement of splitStatements(renderDeployment(sql, {}))) await store.client.command({ query: statement });
}

/** A store as the release before migration 0013 left it: every earlier migration applied and recorded. */
async function migrateUpTo(version: number): Promise<void> {
  await runStatements(loadSql('schema-migrations.sql'));
  const earlier = listMigrations().filter((migration) => migration.version < version);
  for (const migration of earlier) await runStatements(loadSql(`migrations/${migration.file}`));
  await store.client.insert({
    table: 'schema_migrations',
    values: earlier.map(({ version: number, name, checksum }) => ({ version: number, name, checksum })),
    format: 'JSONEachRow',
  });
}

function spanRow(spanId: string, startMillis: number, ingestedAt: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    tenant: 'upgrade',
    trace_id: 'c3'.repeat(16),
    span_id: spanId,
    name: `span ${spanId}`,
    kind: 'llm',
    start_time_unix_nano: startMillis * 1_000_000,
    end_time_unix_nano: (startMillis + 1500) * 1_000_000,
    input_message_refs: ['0123456789abcdef'],
    attribute_refs: [{ key: 'k', open: '[', separator: ',', close: ']', refs: ['fedcba9876543210'] }],
    rewards: [{ name: 'r', value: 0.5 }],
    input_tokens: 12,
    ingested_at: ingestedAt,
    ...extra,
  });
}

const tableIdentities =
  "SELECT name, uuid FROM system.tables WHERE database = currentDatabase() AND name IN ('spans', 'events') ORDER BY name";

/** The statements of migration 0013 for one node, directives dropped. */
function migrationStatements(): string[] {
  const migration = listMigrations().find((candidate) => candidate.version === migrationVersion)!;
  return splitStatements(renderDeployment(loadSql(`migrations/${migration.file}`), {}));
}

/** This migration and every later one: what a store migrated up to the one before applies. */
const versionsFrom = (first: number) =>
  listMigrations()
    .map((migration) => migration.version)
    .filter((version) => version >= first);

const spansSnapshot = 'SELECT *, duration_ns FROM spans FINAL ORDER BY tenant, trace_id, span_id';
const eventsSnapshot = 'SELECT *, record_hash FROM events FINAL ORDER BY tenant, trace_id, span_id, time_unix_nano';

beforeAll(async () => {
  store = await openStore({ dataDir });
});
afterAll(async () => {
  await store?.close();
});

describe('migration 0013 on a store that holds rows', () => {
  let spansBefore: unknown[];
  let eventsBefore: unknown[];
  const logged: string[] = [];

  beforeAll(async () => {
    await migrateUpTo(migrationVersion);
    const spans = [
      spanRow('0000000000000001', Date.UTC(2019, 0, 2), '2026-10-01 10:00:00.000'),
      spanRow('0000000000000002', Date.UTC(2026, 10, 3), '2026-11-05 10:00:00.000', { rollout_id: 'ro-1' }),
      spanRow('0000000000000003', Date.UTC(2031, 5, 4), '2026-11-06 10:00:00.000', { input_tokens: null }),
    ];
    await store.insertJsonEachRow('spans', Buffer.from(spans.join('\n') + '\n'));
    const event = JSON.stringify({
      tenant: 'upgrade',
      trace_id: 'c3'.repeat(16),
      span_id: '0000000000000002',
      time_unix_nano: Date.UTC(2026, 10, 3) * 1_000_000,
      event_name: 'gen_ai.evaluation.result',
      evaluation_score: 0.75,
      ingested_at: '2026-11-05 10:00:01.000',
    });
    await store.insertJsonEachRow('events', Buffer.from(event + '\n'));
    spansBefore = await rows(spansSnapshot);
    eventsBefore = await rows(eventsSnapshot);
    expect(spansBefore).toHaveLength(3);
    expect(eventsBefore).toHaveLength(1);
    const applied = await migrate(store, { log: (message) => logged.push(message) });
    expect(applied.map((migration) => migration.version)).toEqual(versionsFrom(migrationVersion));
  });

  it('says before each copy how many rows it rebuilds', () => {
    expect(logged).toEqual([
      'rebuilding spans partitioned by ingest time: 3 rows, this can take a while',
      'rebuilding events partitioned by ingest time: 1 rows, this can take a while',
    ]);
  });

  it('leaves no table of the rebuild behind', async () => {
    expect(
      await rows("SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE '%by_ingest_time'"),
    ).toEqual([]);
  });

  it('partitions spans and events by ingest month, with the sort keys, projection and a minmax index on time', async () => {
    const tables = await rows<{ name: string; partition_key: string; sorting_key: string; engine_full: string }>(
      "SELECT name, partition_key, sorting_key, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN ('spans', 'events') ORDER BY name",
    );
    expect(tables.map(({ name, partition_key, sorting_key }) => ({ name, partition_key, sorting_key }))).toEqual([
      {
        name: 'events',
        partition_key: 'toYYYYMM(ingested_at)',
        sorting_key: 'tenant, trace_id, span_id, time_unix_nano, record_hash',
      },
      { name: 'spans', partition_key: 'toYYYYMM(ingested_at)', sorting_key: 'tenant, trace_id, span_id' },
    ]);
    for (const table of tables) expect(table.engine_full, table.name).toMatch(/^ReplacingMergeTree\(ingested_at\)/);
    const indexes = await rows<{ table: string; name: string; type: string; expr: string }>(
      "SELECT table, name, type, expr FROM system.data_skipping_indices WHERE database = currentDatabase() AND table IN ('spans', 'events') ORDER BY table",
    );
    expect(indexes).toEqual([
      { table: 'events', name: 'time_minmax', type: 'minmax', expr: 'time_unix_nano' },
      { table: 'spans', name: 'start_time_minmax', type: 'minmax', expr: 'start_time_unix_nano' },
    ]);
    const partitions = await rows<{ partition: string }>(
      "SELECT DISTINCT partition FROM system.parts WHERE database = currentDatabase() AND table = 'spans' AND active ORDER BY partition",
    );
    expect(partitions.map((part) => part.partition)).toEqual(['202610', '202611']);
    const projections = await rows<{ name: string }>(
      "SELECT DISTINCT name FROM system.projection_parts WHERE database = currentDatabase() AND table = 'spans' AND active",
    );
    expect(projections).toEqual([{ name: 'by_tenant_time' }]);
  });

  it('keeps every row and value, MATERIALIZED columns computed again from the same values', async () => {
    expect(await rows(spansSnapshot)).toEqual(spansBefore);
    expect(await rows(eventsSnapshot)).toEqual(eventsBefore);
  });

  it('keeps the materialized views firing on the rebuilt tables', async () => {
    const traceId = 'd4'.repeat(16);
    await store.insertJsonEachRow(
      'spans',
      Buffer.from(
        JSON.stringify({ tenant: 'upgrade', trace_id: traceId, span_id: '0000000000000009', rollout_id: 'ro-2' }) +
          '\n',
      ),
    );
    const indexed = await rows<{ trace_id: string }>(
      `SELECT DISTINCT trace_id FROM trace_index WHERE trace_id = '${traceId}'`,
    );
    const rollouts = await rows<{ rollout_id: string }>(
      `SELECT rollout_id FROM rollout_traces WHERE trace_id = '${traceId}'`,
    );
    const dirty = await rows<{ trace_id: string }>(`SELECT trace_id FROM dirty_traces WHERE trace_id = '${traceId}'`);
    expect({ indexed, rollouts, dirty }).toEqual({
      indexed: [{ trace_id: traceId }],
      rollouts: [{ rollout_id: 'ro-2' }],
      dirty: [{ trace_id: traceId }],
    });
  });

  it('copies nothing again when it runs again (a start that died before recording it, or a second receiver)', async () => {
    const before = await rows(spansSnapshot);
    const tablesBefore = await rows(tableIdentities);
    await store.client.command({
      query: `DELETE FROM schema_migrations WHERE version = ${migrationVersion}`,
    });
    const logged: string[] = [];
    const applied = await migrate(store, { log: (message) => logged.push(message) });
    expect(applied.map((migration) => migration.version)).toEqual([migrationVersion]);
    expect(logged).toEqual([]);
    // The same tables (UUIDs), not copies of them.
    expect(await rows(tableIdentities)).toEqual(tablesBefore);
    expect(await rows(spansSnapshot)).toEqual(before);
    expect(await rows(eventsSnapshot)).toEqual(eventsBefore);
  });
});

describe('migration 0013 after a start that died part-way', () => {
  let spansBefore: unknown[];

  beforeAll(async () => {
    await store.close();
    store = await openStore({ dataDir, database: 'died_part_way' });
    await migrateUpTo(migrationVersion);
    const spans = ['0000000000000001', '0000000000000002', '0000000000000003'].map((spanId, index) =>
      spanRow(spanId, Date.UTC(2026, 9, 1 + index), `2026-10-0${1 + index} 10:00:00.000`),
    );
    await store.insertJsonEachRow('spans', Buffer.from(spans.join('\n') + '\n'));
    spansBefore = await rows(spansSnapshot);
    // What the first start left: spans half copied (one row of three), events copied and exchanged but the old
    // table not yet dropped.
    const statements = migrationStatements();
    const spansCopy = statements.find((statement) => statement.startsWith('INSERT INTO spans_by_ingest_time'))!;
    for (const statement of statements.filter((candidate) => /^CREATE TABLE IF NOT EXISTS/.test(candidate))) {
      await store.client.command({ query: statement });
    }
    await store.client.command({
      query: `${spansCopy} WHERE span_id = '0000000000000002'`,
    });
    for (const statement of statements.filter((candidate) => /events_by_ingest_time|FROM events$/.test(candidate))) {
      if (statement.startsWith('DROP')) continue;
      await store.client.command({ query: statement });
    }
  });

  it('finishes the job: every row once, both tables partitioned by ingest month, nothing left behind', async () => {
    const logged: string[] = [];
    await migrate(store, { log: (message) => logged.push(message) });
    expect(logged).toEqual(['rebuilding spans partitioned by ingest time: 3 rows, this can take a while']);
    expect(await rows(spansSnapshot)).toEqual(spansBefore);
    await store.client.command({ query: 'OPTIMIZE TABLE spans FINAL' });
    expect(await rows('SELECT count() AS stored FROM spans')).toEqual([{ stored: 3 }]);
    expect(
      await rows(
        "SELECT name, partition_key FROM system.tables WHERE database = currentDatabase() AND (name IN ('spans', 'events') OR name LIKE '%by_ingest_time') ORDER BY name",
      ),
    ).toEqual([
      { name: 'events', partition_key: 'toYYYYMM(ingested_at)' },
      { name: 'spans', partition_key: 'toYYYYMM(ingested_at)' },
    ]);
  });
});

describe('FINAL over spans partitioned by ingest month', () => {
  it('collapses a span delivered again in a later month to the copy received last', async () => {
    const key = { tenant: 'redelivered', trace_id: 'e5'.repeat(16), span_id: '00000000000000aa' };
    await store.insertJsonEachRow(
      'spans',
      Buffer.from(JSON.stringify({ ...key, name: 'first delivery', ingested_at: '2025-01-15 00:00:00.000' }) + '\n'),
    );
    await store.insertJsonEachRow('spans', Buffer.from(JSON.stringify({ ...key, name: 'second delivery' }) + '\n'));
    const copies = await rows<{ partition: string }>(
      "SELECT DISTINCT _partition_id AS partition FROM spans WHERE tenant = 'redelivered'",
    );
    expect(copies).toHaveLength(2);
    expect(await rows("SELECT name FROM spans FINAL WHERE tenant = 'redelivered'")).toEqual([
      { name: 'second delivery' },
    ]);
    // FINAL merges across partitions only while this setting is off; the store must never turn it on.
    expect(
      await rows("SELECT getSetting('do_not_merge_across_partitions_select_final') AS merge_within_partitions_only"),
    ).toEqual([{ merge_within_partitions_only: false }]);
  });
});
