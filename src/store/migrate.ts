/**
 * The schema, brought up to date on every start, in two parts with different contracts:
 * - Numbered migrations (`migrations/NNNN_name.sql`) hold tables only and are immutable once released. Each is
 *   applied once, in order, and recorded in `schema_migrations` with the checksum of its statements. A store whose
 *   applied migration no longer matches its file, or that records a migration this build does not know (a newer
 *   release wrote it), is refused before anything is changed: silently running on a schema the code does not
 *   describe is how data goes wrong. The checksum covers the statements, not comments or trailing blanks, so
 *   documentation can still be corrected.
 * - Derived definitions (views, materialized views, seed rows; `derived-definitions.ts`) are re-applied on every
 *   start with `CREATE OR REPLACE`, so an upgraded store always runs the rules of the code that reads it.
 * Both run through the same code for the embedded engine, a server and a cluster (`{{on_cluster}}`, Replicated
 * engines). Every statement is idempotent (IF NOT EXISTS / OR REPLACE / seeds that insert only what is missing),
 * so several receivers that start at once against one cluster converge on the same schema.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type Store, type StoreOptions } from './client.ts';
import { derivedDefinitions, type DerivedDefinition } from './derived-definitions.ts';
import { loadSql, loadSqlFile, renderDeployment, splitStatements, type DeploymentOptions } from './sql-files.ts';

const migrationsDirectory = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const projectDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Migration {
  version: number;
  name: string;
  file: string;
  /** sha256 of the file's statements (comments and surrounding blanks removed), hex. */
  checksum: string;
}

export interface MigrateOptions {
  /** Notes about what was done beyond applying new migrations (adopting records of an older release). */
  log?: (message: string) => void;
}

/** The checksum recorded for a migration: its statements only, so comment fixes do not change it. */
export function migrationChecksum(sql: string): string {
  const statements = splitStatements(sql).map((statement) =>
    statement
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n'),
  );
  return createHash('sha256').update(statements.join(';\n')).digest('hex');
}

export function listMigrations(): Migration[] {
  return readdirSync(migrationsDirectory)
    .filter((file) => /^\d{4}_.+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      file,
      checksum: migrationChecksum(loadSql(`migrations/${file}`)),
    }));
}

interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

async function run(store: Store, sql: string, deployment: DeploymentOptions, what: string): Promise<void> {
  for (const statement of splitStatements(renderDeployment(sql, deployment))) {
    try {
      await store.client.command({ query: statement });
    } catch (error) {
      throw new Error(`${what} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}

async function appliedMigrations(store: Store): Promise<AppliedMigration[]> {
  const result = await store.client.query({
    query: 'SELECT version, name, checksum FROM schema_migrations FINAL ORDER BY version',
    format: 'JSONEachRow',
  });
  return (await result.json<AppliedMigration>()).map((row) => ({ ...row, version: Number(row.version) }));
}

function migrationPath(migration: Migration): string {
  return `src/store/migrations/${migration.file}`;
}

/** Refuses, before anything changes, a store whose recorded migrations this build does not match. */
function checkApplied(applied: AppliedMigration[], known: Map<number, Migration>): void {
  for (const record of applied) {
    const migration = known.get(record.version);
    if (!migration) {
      throw new Error(
        `the store records migration ${String(record.version).padStart(4, '0')} (${record.name}), which this build ` +
          'does not have: a newer release migrated it. Run that release (or newer), or point --data-dir / ' +
          '--clickhouse-url at another store.',
      );
    }
    if (record.checksum !== '' && record.checksum !== migration.checksum) {
      throw new Error(
        `migration ${migrationPath(migration)} changed after it was applied to this store (applied checksum ` +
          `${record.checksum.slice(0, 12)}, file now ${migration.checksum.slice(0, 12)}). Released migrations are ` +
          'immutable: restore the file as released and put the change in a new migration with the next number.',
      );
    }
  }
}

async function record(store: Store, migrations: Migration[]): Promise<void> {
  if (migrations.length === 0) return;
  await store.client.insert({
    table: 'schema_migrations',
    values: migrations.map(({ version, name, checksum }) => ({ version, name, checksum })),
    format: 'JSONEachRow',
  });
}

/** Re-applies every derived definition (views, materialized views, seeds), in dependency order. */
export async function applyDerivedDefinitions(
  store: Store,
  definitions: readonly DerivedDefinition[] = derivedDefinitions,
): Promise<void> {
  for (const definition of definitions) {
    const where = relative(projectDirectory, fileURLToPath(definition.file));
    await run(
      store,
      loadSqlFile(definition.file),
      { cluster: store.cluster },
      `derived definition ${definition.name} (${where})`,
    );
  }
}

/**
 * Brings the store's schema up to date: checks the recorded migrations, applies the new ones, then re-applies the
 * derived definitions. Returns the migrations applied by this call.
 */
export async function migrate(store: Store, options: MigrateOptions = {}): Promise<Migration[]> {
  const deployment = { cluster: store.cluster };
  await run(store, loadSql('schema-migrations.sql'), deployment, 'creating schema_migrations');
  const migrations = listMigrations();
  const known = new Map(migrations.map((migration) => [migration.version, migration]));
  const applied = await appliedMigrations(store);
  checkApplied(applied, known);

  // Release 0.1.0 recorded no checksums: its records are adopted with the checksum of the file this build has.
  const adopted = applied.filter((row) => row.checksum === '').map((row) => known.get(row.version)!);
  await record(store, adopted);
  if (adopted.length > 0) {
    options.log?.(`recorded checksums for ${adopted.length} migrations applied by a release that kept none`);
  }

  const appliedVersions = new Set(applied.map((row) => row.version));
  const newlyApplied: Migration[] = [];
  for (const migration of migrations) {
    if (appliedVersions.has(migration.version)) continue;
    await run(store, loadSql(`migrations/${migration.file}`), deployment, `migration ${migrationPath(migration)}`);
    await record(store, [migration]);
    newlyApplied.push(migration);
  }
  await applyDerivedDefinitions(store);
  return newlyApplied;
}

/**
 * The one way every command opens the store: connect, bring the schema up to date, and close again if that
 * fails, so a refused migration never leaves an embedded data directory locked.
 */
export async function openMigratedStore(options: StoreOptions & MigrateOptions): Promise<Store> {
  const store = await openStore(options);
  try {
    await migrate(store, options);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
