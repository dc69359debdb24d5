import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/client.ts';
import { derivedDefinitions, derivedDefinitionsEpoch } from '../../src/store/derived-definitions.ts';
import {
  derivedDefinitionsChecksum,
  listMigrations,
  migrate,
  migrationChecksum,
  runSql,
  verifySchema,
} from '../../src/store/migrate.ts';
import {
  loadSql,
  loadSqlFile,
  renderDeployment,
  splitDirectedStatements,
  splitStatements,
} from '../../src/store/sql-files.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

const dataDir = temporaryDirectory();
const sourceRoot = join(import.meta.dirname, '..', '..', 'src');
let store: Store | undefined;
let databases = 0;

/** A store on a database of its own (the embedded engine holds one data directory per process). */
async function freshStore(): Promise<Store> {
  await store?.close();
  store = await openStore({ dataDir, database: `migrations_${++databases}` });
  return store;
}

async function rows<T>(query: string): Promise<T[]> {
  return (await store!.client.query({ query, format: 'JSONEachRow' })).json<T>();
}

afterEach(async () => {
  await store?.close();
  store = undefined;
});
afterAll(async () => {
  await store?.close();
});

function sqlFilesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.sql'))
    .map((file) => join(directory, file));
}

describe('migrations', () => {
  it('apply on a new store, are recorded with their checksums, and apply nothing the second time', async () => {
    const fresh = await freshStore();
    const applied = await migrate(fresh);
    expect(applied.map((migration) => migration.file)).toEqual(listMigrations().map((migration) => migration.file));
    expect(await migrate(fresh)).toEqual([]);
    const tables = await rows<{ name: string }>('SHOW TABLES');
    expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(['spans', 'events', 'schema_migrations']));
    const recorded = await rows<{ version: number; checksum: string }>(
      'SELECT version, checksum FROM schema_migrations FINAL ORDER BY version',
    );
    expect(recorded).toEqual(listMigrations().map(({ version, checksum }) => ({ version, checksum })));
  });

  it('refuse a store whose applied migration has changed, naming the file and the fix, and change nothing', async () => {
    const fresh = await freshStore();
    await migrate(fresh);
    await fresh.client.insert({
      table: 'schema_migrations',
      values: [{ version: 2, name: 'trajectory_tables', checksum: 'f'.repeat(64) }],
      format: 'JSONEachRow',
    });
    await fresh.client.command({ query: 'CREATE OR REPLACE VIEW credit AS SELECT 1 AS marker' });
    await expect(migrate(fresh)).rejects.toThrow(
      /migration src\/store\/migrations\/0002_trajectory_tables\.sql changed after it was applied to this store \(applied checksum ffffffffffff, file now [0-9a-f]{12}\)\. Released migrations are immutable: restore the file as released and put the change in a new migration/,
    );
    // Refused before anything was re-applied: the views are as they were.
    const [credit] = await rows<{ create_table_query: string }>(
      "SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = 'credit'",
    );
    expect(credit!.create_table_query).toContain('marker');
  });

  it('refuse a store migrated by a newer release', async () => {
    const fresh = await freshStore();
    await migrate(fresh);
    await fresh.client.insert({
      table: 'schema_migrations',
      values: [{ version: 9999, name: 'from_the_future', checksum: 'a'.repeat(64) }],
      format: 'JSONEachRow',
    });
    await expect(migrate(fresh)).rejects.toThrow(
      /records migration 9999 \(from_the_future\), which this build does not have: a newer release migrated it/,
    );
  });

  it('checksum the statements, not the comments', () => {
    const sql = 'CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a;\n';
    expect(migrationChecksum(`-- a comment\n${sql}`)).toBe(migrationChecksum(sql));
    expect(migrationChecksum(sql.replace('UInt8', 'UInt16'))).not.toBe(migrationChecksum(sql));
  });

  it('hold tables only, in statements safe to run twice: no view, materialized view or seed rows', () => {
    // Two receivers may start at once, and a migration that failed half-way is re-run whole.
    const idempotent =
      /^(CREATE TABLE IF NOT EXISTS|DROP TABLE IF EXISTS|ALTER TABLE \w+ \{\{on_cluster\}\} (ADD COLUMN IF NOT EXISTS|ADD INDEX IF NOT EXISTS|ADD PROJECTION IF NOT EXISTS|MODIFY COMMENT|MODIFY SETTING))\b/;
    // A copy into a rebuilt table and the swap of the two run until the guard says the rebuild is done.
    const runOnceByGuard = /^(INSERT INTO \w+ \([\s\S]*\)\s+SELECT\b|EXCHANGE TABLES \w+ AND \w+ \{\{on_cluster\}\}$)/;
    for (const migration of listMigrations()) {
      for (const statement of splitDirectedStatements(loadSql(`migrations/${migration.file}`))) {
        if (statement.skipIf !== undefined && runOnceByGuard.test(statement.sql)) continue;
        expect(statement.sql, migration.file).toMatch(idempotent);
      }
    }
  });

  it('skip a statement whose -- skip-if: query returns 1, checked right before it, and log what -- log: returns', async () => {
    const fresh = await freshStore();
    const sql = [
      'CREATE TABLE IF NOT EXISTS guarded (n UInt8) ENGINE = MergeTree ORDER BY n;',
      '-- skip-if: SELECT count() > 0 FROM guarded',
      "-- log: SELECT 'copying into guarded' HAVING (SELECT count() FROM guarded) = 0",
      'INSERT INTO guarded VALUES (1);',
      '-- skip-if: SELECT count() > 0 FROM guarded',
      "-- log: SELECT 'copying into guarded again'",
      'INSERT INTO guarded VALUES (2);',
    ].join('\n');
    const logged: string[] = [];
    for (let run = 0; run < 2; run++) {
      await runSql(fresh, sql, { cluster: undefined }, 'the guarded test file', (message) => logged.push(message));
    }
    expect(await rows('SELECT n FROM guarded ORDER BY n')).toEqual([{ n: 1 }]);
    expect(logged).toEqual(['copying into guarded']);
    // Directives are part of what a migration's checksum covers; other comments are not.
    const guarded = 'INSERT INTO t VALUES (1);\n';
    expect(migrationChecksum(`-- skip-if: SELECT 1\n${guarded}`)).not.toBe(migrationChecksum(guarded));
    expect(migrationChecksum(`-- log: SELECT 'x'\n${guarded}`)).not.toBe(migrationChecksum(guarded));
    expect(() => splitDirectedStatements('CREATE TABLE a (n UInt8);\n-- skip-if: SELECT 1\n')).toThrow(
      /directive is not followed by a statement/,
    );
  });

  it('render for a cluster as ON CLUSTER DDL with Replicated engines that ClickHouse parses', async () => {
    const fresh = await freshStore();
    const files = [
      ...listMigrations().map((migration) => loadSql(`migrations/${migration.file}`)),
      loadSql('schema-migrations.sql'),
      ...derivedDefinitions.map((definition) => loadSqlFile(definition.file)),
    ];
    for (const file of files) {
      const sql = renderDeployment(file, { cluster: 'prod' });
      expect(sql).not.toMatch(/\{\{/);
      for (const statement of splitStatements(sql)) {
        if (/^(CREATE|ALTER|DROP|EXCHANGE)\b/i.test(statement)) expect(statement).toMatch(/ON CLUSTER `prod`/);
        // Data is copied once, on the replica the receiver talks to; the Replicated engine carries it to the others.
        if (/^INSERT\b/i.test(statement)) expect(statement).not.toMatch(/ON CLUSTER/);
        if (/ENGINE\s*=\s*\w*MergeTree/.test(statement))
          expect(statement).toMatch(/ENGINE\s*=\s*Replicated\w*MergeTree/);
        // formatQuery parses without executing: the cluster flavour of every statement is valid ClickHouse SQL.
        const result = await fresh.client.query({
          query: 'SELECT formatQuery({sql:String}) AS formatted',
          query_params: { sql: statement },
          format: 'JSONEachRow',
        });
        const [row] = await result.json<{ formatted: string }>();
        expect(row?.formatted.length).toBeGreaterThan(0);
      }
    }
  });

  it('refuses a cluster or database name that is not an identifier', () => {
    expect(() =>
      renderDeployment('CREATE TABLE t {{on_cluster}} (a UInt8) ENGINE = {{engine:MergeTree}} ORDER BY a', {
        cluster: 'x; DROP',
      }),
    ).toThrow(/not a valid ClickHouse identifier/);
  });
});

describe('derived definitions', () => {
  it('carry an epoch pinned to their checksum (a change to any view needs a bump of derivedDefinitionsEpoch)', () => {
    expect({ epoch: derivedDefinitionsEpoch, checksum: derivedDefinitionsChecksum() }).toEqual({
      epoch: 5,
      checksum: '16054db50242deda00d2ff7ed1af1860de5416c59d70b2c60369a0f9dec2e6d5',
    });
  });

  it('refuse a store that runs a newer build’s views, before changing anything', async () => {
    const fresh = await freshStore();
    await migrate(fresh);
    await fresh.client.insert({
      table: 'schema_derived_definitions',
      values: [{ epoch: derivedDefinitionsEpoch + 1, checksum: 'x' }],
      format: 'JSONEachRow',
    });
    await fresh.client.command({ query: 'CREATE OR REPLACE VIEW credit AS SELECT 1 AS marker' });
    await expect(migrate(fresh)).rejects.toThrow(
      new RegExp(
        `runs the views of a newer build \\(derived definitions epoch ${derivedDefinitionsEpoch + 1}, this build has ${derivedDefinitionsEpoch}\\)`,
      ),
    );
    const [credit] = await rows<{ create_table_query: string }>(
      "SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = 'credit'",
    );
    expect(credit!.create_table_query).toContain('marker');
  });

  it('give an existing materialized view the current SELECT in place (no CREATE OR REPLACE, which older servers lack)', async () => {
    const fresh = await freshStore();
    await migrate(fresh);
    await fresh.client.command({
      query:
        'ALTER TABLE rollout_traces_mv MODIFY QUERY SELECT tenant, rollout_id, attempt_id, trace_id FROM spans WHERE 0',
    });
    await migrate(fresh);
    const [view] = await rows<{ as_select: string }>(
      "SELECT as_select FROM system.tables WHERE database = currentDatabase() AND name = 'rollout_traces_mv'",
    );
    expect(view!.as_select).toContain("rollout_id != ''");
    for (const definition of derivedDefinitions) {
      expect(loadSqlFile(definition.file), definition.name).not.toMatch(/CREATE OR REPLACE MATERIALIZED VIEW/);
    }
  });

  it('leave a store untouched when only verified, naming the fix when it is behind', async () => {
    const fresh = await freshStore();
    await expect(verifySchema(fresh)).rejects.toThrow(
      /has no trajectories schema yet: start `trajectories serve` against it once/,
    );
    await migrate(fresh);
    await verifySchema(fresh);
    await fresh.client.command({
      query: 'ALTER TABLE schema_migrations DELETE WHERE version = 10 SETTINGS mutations_sync = 1',
    });
    await expect(verifySchema(fresh)).rejects.toThrow(
      /migration 0010_export_jobs\.sql not applied\): start `trajectories serve` of this version/,
    );
  });

  it('are re-applied on every start, replacing a stale view', async () => {
    const fresh = await freshStore();
    await migrate(fresh);
    await fresh.client.command({ query: 'CREATE OR REPLACE VIEW turns AS SELECT 1 AS stale_rule' });
    await migrate(fresh);
    const [turns] = await rows<{ create_table_query: string }>(
      "SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = 'turns'",
    );
    expect(turns!.create_table_query).not.toContain('stale_rule');
    expect(turns!.create_table_query).toContain('new_messages');
  });

  it('are every view, materialized view and seed under src/, each beside its TypeScript twin', () => {
    const registered = new Set(derivedDefinitions.map((definition) => fileURLToPath(definition.file)));
    for (const file of sqlFilesUnder(sourceRoot)) {
      const statements = splitStatements(readFileSync(file, 'utf8')).join('\n');
      if (/\bVIEW\b|^INSERT INTO\b/m.test(statements) && !file.includes('/migrations/')) {
        expect(registered, relative(sourceRoot, file)).toContain(file);
      }
    }
    for (const definition of derivedDefinitions) {
      const file = fileURLToPath(definition.file);
      expect(readFileSync(file, 'utf8').length, definition.name).toBeGreaterThan(0);
      if (definition.twin) {
        expect(readdirSync(dirname(file)), `${definition.name}: twin beside ${basename(file)}`).toContain(
          definition.twin,
        );
      }
    }
  });
});
