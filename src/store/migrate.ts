/**
 * Versioned schema migrations: `migrations/NNNN_name.sql`, applied in order on start and recorded in
 * `schema_migrations`. Every statement is idempotent (IF NOT EXISTS / OR REPLACE), so several receivers that
 * start at once against one cluster converge on the same schema.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type Store, type StoreOptions } from './client.ts';
import { loadSql, renderDeployment, splitStatements } from './sql-files.ts';

const migrationsDirectory = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  file: string;
}

export function listMigrations(): Migration[] {
  return readdirSync(migrationsDirectory)
    .filter((file) => /^\d{4}_.+\.sql$/.test(file))
    .sort()
    .map((file) => ({ version: Number(file.slice(0, 4)), name: file.slice(5, -4), file }));
}

export async function migrate(store: Store): Promise<Migration[]> {
  const deployment = { cluster: store.cluster };
  await store.client.command({
    query: renderDeployment(
      `CREATE TABLE IF NOT EXISTS schema_migrations {{on_cluster}}
       (version UInt32, name String, applied_at DateTime DEFAULT now())
       ENGINE = {{engine:ReplacingMergeTree}} ORDER BY version`,
      deployment,
    ),
  });
  const result = await store.client.query({ query: 'SELECT version FROM schema_migrations FINAL', format: 'JSONEachRow' });
  const applied = new Set((await result.json<{ version: number }>()).map((row) => Number(row.version)));
  const newlyApplied: Migration[] = [];
  for (const migration of listMigrations()) {
    if (applied.has(migration.version)) continue;
    const sql = renderDeployment(loadSql(`migrations/${migration.file}`), deployment);
    for (const statement of splitStatements(sql)) {
      try {
        await store.client.command({ query: statement });
      } catch (error) {
        throw new Error(`migration ${migration.file} failed: ${(error as Error).message}`, { cause: error });
      }
    }
    await store.client.insert({
      table: 'schema_migrations',
      values: [{ version: migration.version, name: migration.name }],
      format: 'JSONEachRow',
    });
    newlyApplied.push(migration);
  }
  return newlyApplied;
}

/**
 * The one way every command opens the store: connect, bring the schema up to date, and close again if that
 * fails, so a refused migration never leaves an embedded data directory locked.
 */
export async function openMigratedStore(options: StoreOptions): Promise<Store> {
  const store = await openStore(options);
  try {
    await migrate(store);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
