/**
 * The schema, brought up to date on every start, in two parts with different contracts:
 * - Numbered migrations (`migrations/NNNN_name.sql`) hold tables only and are immutable once released. Each is
 *   applied once, in order, and recorded in `schema_migrations` with the checksum of its statements. A store whose
 *   applied migration no longer matches its file, or that records a migration this build does not know (a newer
 *   release wrote it), is refused before anything is changed: silently running on a schema the code does not
 *   describe is how data goes wrong. The checksum covers the statements, not comments or trailing blanks, so
 *   documentation can still be corrected.
 * - Derived definitions (views, materialized views, seed rows; `derived-definitions.ts`) are re-applied on every
 *   start, so an upgraded store always runs the rules of the code that reads it: views with `CREATE OR REPLACE`,
 *   materialized views created if missing and then given the current SELECT with `ALTER TABLE ... MODIFY QUERY`
 *   (servers before ClickHouse 26 cannot `CREATE OR REPLACE` a materialized view). The store records the epoch of
 *   the definitions it runs; a build with an older epoch refuses to start rather than put older views back.
 * - Commands that only read or export (`schema: 'verify'`) change no schema: they check it and name the fix.
 * Both run through the same code for the embedded engine, a server and a cluster (`{{on_cluster}}`, Replicated
 * engines). Every statement is idempotent (IF NOT EXISTS / OR REPLACE / seeds that insert only what is missing),
 * or guarded by a `-- skip-if:` query that says its work is done (a copy into a rebuilt table, sql-files.ts), so
 * several receivers that start at once against one cluster converge on the same schema. Statements run through
 * `store.schemaClient`, which has no short request timeout: a migration that copies a table takes as long as the
 * data, and a start that gave up on it would leave the server copying and start the copy again.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type Store, type StoreOptions } from './client.ts';
import { derivedDefinitions, derivedDefinitionsEpoch, type DerivedDefinition } from './derived-definitions.ts';
import {
  loadSql,
  loadSqlFile,
  renderDeployment,
  splitDirectedStatements,
  type DeploymentOptions,
  type SqlStatement,
} from './sql-files.ts';

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

/**
 * The checksum recorded for a migration: its statements and their directives (`-- skip-if:`, `-- log:`), not other
 * comments, so comment fixes do not change it. A file without directives sums as it did before they existed.
 */
export function migrationChecksum(sql: string): string {
  const statements = splitDirectedStatements(sql).map(({ sql: statement, skipIf, log }) =>
    [
      ...(skipIf === undefined ? [] : [`-- skip-if: ${skipIf}`]),
      ...(log === undefined ? [] : [`-- log: ${log}`]),
      ...statement.split('\n').map((line) => line.trimEnd()),
    ].join('\n'),
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

const materializedViewPattern =
  /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\S+)\s+(ON CLUSTER `\w+`\s+)?TO \S+\s+AS\s+(SELECT\b[\s\S]*)$/;

/**
 * The statements that apply one rendered statement. A materialized view is created if missing, then given the
 * file's SELECT in place, so a changed definition reaches stores that already have the view.
 */
function statementsFor(statement: SqlStatement): SqlStatement[] {
  const view = materializedViewPattern.exec(statement.sql);
  if (!view) return [statement];
  const [, name, onCluster = '', select] = view;
  return [statement, { ...statement, sql: `ALTER TABLE ${name} ${onCluster}MODIFY QUERY ${select}` }];
}

/** The first column of a directive's query's first row (undefined when it returns no row: nothing to log). */
async function firstValue(store: Store, query: string): Promise<unknown> {
  const result = await store.schemaClient.query({ query, format: 'JSONCompactEachRow' });
  const [row] = await result.json<unknown[]>();
  return row?.[0];
}

/**
 * Runs a SQL file's statements in order, rendered for the deployment, with their directives (sql-files.ts): a
 * statement whose `-- skip-if:` query returns 1 is skipped, a `-- log:` message is logged before its statement.
 */
export async function runSql(
  store: Store,
  sql: string,
  deployment: DeploymentOptions,
  what: string,
  log?: (message: string) => void,
): Promise<void> {
  for (const statement of splitDirectedStatements(renderDeployment(sql, deployment)).flatMap(statementsFor)) {
    try {
      // Evaluated right before the statement, not once per file: a receiver that started together with another
      // sees the work the other has finished in the meantime.
      if (statement.skipIf !== undefined && Number(await firstValue(store, statement.skipIf)) === 1) continue;
      const message = statement.log === undefined ? undefined : await firstValue(store, statement.log);
      if (message !== undefined) log?.(typeof message === 'string' ? message : JSON.stringify(message));
      await store.schemaClient.command({ query: statement.sql });
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
    await runSql(
      store,
      loadSqlFile(definition.file),
      { cluster: store.cluster },
      `derived definition ${definition.name} (${where})`,
    );
  }
  await store.client.insert({
    table: 'schema_derived_definitions',
    values: [{ epoch: derivedDefinitionsEpoch, checksum: derivedDefinitionsChecksum(definitions) }],
    format: 'JSONEachRow',
  });
}

/** The checksum of the derived definitions' statements, in registry order (pinned beside the epoch by a test). */
export function derivedDefinitionsChecksum(definitions: readonly DerivedDefinition[] = derivedDefinitions): string {
  return migrationChecksum(definitions.map((definition) => loadSqlFile(definition.file)).join('\n'));
}

async function appliedDerivedEpoch(store: Store): Promise<number> {
  const result = await store.client.query({
    query: 'SELECT max(epoch) AS epoch FROM schema_derived_definitions',
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ epoch: number | string }>();
  return Number(row?.epoch ?? 0);
}

function newerViewsError(applied: number): Error {
  return new Error(
    `the store runs the views of a newer build (derived definitions epoch ${applied}, this build has ` +
      `${derivedDefinitionsEpoch}): this build would put older views back. Run that build (or newer), or point ` +
      '--data-dir / --clickhouse-url at another store.',
  );
}

/**
 * Brings the store's schema up to date: checks the recorded migrations, applies the new ones, then re-applies the
 * derived definitions. Returns the migrations applied by this call.
 */
export async function migrate(store: Store, options: MigrateOptions = {}): Promise<Migration[]> {
  const deployment = { cluster: store.cluster };
  await runSql(store, loadSql('schema-migrations.sql'), deployment, 'creating schema_migrations');
  const migrations = listMigrations();
  const known = new Map(migrations.map((migration) => [migration.version, migration]));
  const applied = await appliedMigrations(store);
  checkApplied(applied, known);
  const appliedEpoch = await appliedDerivedEpoch(store);
  if (appliedEpoch > derivedDefinitionsEpoch) throw newerViewsError(appliedEpoch);

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
    const sql = loadSql(`migrations/${migration.file}`);
    await runSql(store, sql, deployment, `migration ${migrationPath(migration)}`, options.log);
    await record(store, [migration]);
    newlyApplied.push(migration);
  }
  await applyDerivedDefinitions(store);
  return newlyApplied;
}

/**
 * Checks, without changing anything, that the store's schema is the one this build expects: every migration of
 * this build applied, none changed, none unknown. For commands that only read or export, which may hold read-only
 * credentials and must not put their views over a receiver's.
 */
export async function verifySchema(store: Store): Promise<void> {
  const exists = await store.client.query({ query: 'EXISTS TABLE schema_migrations', format: 'JSONEachRow' });
  const [row] = await exists.json<{ result: number | string }>();
  if (Number(row?.result ?? 0) !== 1) {
    throw new Error(
      `database ${store.database} has no trajectories schema yet: start \`trajectories serve\` against it once ` +
        '(it creates the tables), or check --data-dir / --clickhouse-url / --database.',
    );
  }
  const migrations = listMigrations();
  const known = new Map(migrations.map((migration) => [migration.version, migration]));
  const applied = await appliedMigrations(store);
  checkApplied(applied, known);
  const appliedVersions = new Set(applied.map((record) => record.version));
  const pending = migrations.find((migration) => !appliedVersions.has(migration.version));
  if (pending) {
    throw new Error(
      `the store's schema is older than this build (migration ${pending.file} not applied): start ` +
        '`trajectories serve` of this version against it once to migrate it, then run this again.',
    );
  }
}

export interface OpenStoreSchemaOptions extends MigrateOptions {
  /** `migrate` (the receiver) brings the schema up to date; `verify` (readers) checks it and changes nothing. @default 'migrate' */
  schema?: 'migrate' | 'verify';
}

/**
 * The one way every command opens the store: connect, bring the schema up to date (or verify it), and close again
 * if that fails, so a refused migration never leaves an embedded data directory locked.
 */
export async function openMigratedStore(options: StoreOptions & OpenStoreSchemaOptions): Promise<Store> {
  const store = await openStore(options);
  try {
    if (options.schema === 'verify') await verifySchema(store);
    else await migrate(store, options);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
