import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/client.ts';
import { listMigrations, migrate } from '../../src/store/migrate.ts';
import { loadSql, renderDeployment, splitStatements } from '../../src/store/sql-files.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

let store: Store;

beforeAll(async () => {
  store = await openStore({ dataDir: temporaryDirectory() });
});
afterAll(async () => {
  await store?.close();
});

describe('migrations', () => {
  it('apply on a new store, are recorded, and apply nothing the second time', async () => {
    const applied = await migrate(store);
    expect(applied.map((migration) => migration.file)).toEqual(listMigrations().map((migration) => migration.file));
    expect(await migrate(store)).toEqual([]);
    const tables = await (await store.client.query({ query: 'SHOW TABLES', format: 'JSONEachRow' })).json<{ name: string }>();
    expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(['spans', 'events', 'schema_migrations']));
  });

  it('render for a cluster as ON CLUSTER DDL with Replicated engines that ClickHouse parses', async () => {
    for (const migration of listMigrations()) {
      const sql = renderDeployment(loadSql(`migrations/${migration.file}`), { cluster: 'prod' });
      expect(sql).not.toMatch(/\{\{/);
      for (const statement of splitStatements(sql)) {
        if (/^(CREATE|ALTER|DROP)\b/i.test(statement)) expect(statement).toMatch(/ON CLUSTER `prod`/);
        if (/ENGINE\s*=\s*\w*MergeTree/.test(statement)) expect(statement).toMatch(/ENGINE\s*=\s*Replicated\w*MergeTree/);
        // formatQuery parses without executing: the cluster flavour of every statement is valid ClickHouse SQL.
        const result = await store.client.query({ query: 'SELECT formatQuery({sql:String}) AS formatted', query_params: { sql: statement }, format: 'JSONEachRow' });
        const [row] = await result.json<{ formatted: string }>();
        expect(row?.formatted.length).toBeGreaterThan(0);
      }
    }
  });

  it('refuses a cluster or database name that is not an identifier', () => {
    expect(() => renderDeployment('CREATE TABLE t {{on_cluster}} (a UInt8) ENGINE = {{engine:MergeTree}} ORDER BY a', { cluster: 'x; DROP' })).toThrow(/not a valid ClickHouse identifier/);
  });
});
