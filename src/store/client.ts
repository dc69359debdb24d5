/**
 * The store's ClickHouse client: embedded ClickHouse (chdb, data in a local directory) by default, or a
 * ClickHouse server/cluster when a URL is configured. Both are the same `@clickhouse/client` API, so every
 * query, insert and migration runs unchanged on either. Insert failures leave it as one typed `StoreError`
 * (store-error.ts) whichever backend raised them, so the ingest writer decides retry or dead-letter on its kind.
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { classifyingClient } from './classifying-client.ts';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { resolve } from 'node:path';
import {
  canStageIn,
  removeLeftoverStagingFiles,
  sqlStringLiteral,
  stagedInsertSettings,
  stagingDirectoryOf,
  withStagingFile,
} from './insert-staging.ts';
import { assertIdentifier } from './sql-files.ts';
import { toStoreError } from './store-error.ts';

export interface StoreOptions {
  /** Directory of the embedded ClickHouse data (and nothing else). Ignored when `clickhouseUrl` is set. */
  dataDir: string;
  /** `http(s)://user:password@host:8123[/database]` of a ClickHouse server; embedded when undefined. */
  clickhouseUrl?: string | undefined;
  /** @default 'trajectories' */
  database?: string | undefined;
  /** Cluster name for ON CLUSTER migrations and Replicated engines (server deployments only). */
  cluster?: string | undefined;
  /**
   * Embedded only: insert through staging files ClickHouse reads itself (`FROM INFILE`, insert-staging.ts) instead
   * of chdb's `rawInsert`. Faster alone, but slower end to end in the receiver on the current code, hence off
   * (docs/decisions/2026-12-02-insert-transport.md).
   * @default false
   */
  stagedInserts?: boolean | undefined;
  /** Server only: how long a request of the ordinary client may stay silent. @default 60_000 */
  requestTimeoutMillis?: number | undefined;
  /** Server only: the same for migrations (`schemaClient`), whose copies take as long as the data. @default 24 h */
  migrationRequestTimeoutMillis?: number | undefined;
}

const defaultRequestTimeoutMillis = 60_000;
// A day: long enough for a copy of any store this receiver is meant for, short enough that a server that vanished
// without closing the connection does not hold a start forever.
const defaultMigrationRequestTimeoutMillis = 24 * 60 * 60 * 1000;

export interface Store {
  client: ClickHouseClient;
  /**
   * The client migrations run through: against a server, the same as `client` but with a request timeout of
   * `migrationRequestTimeoutMillis`, since a statement that copies a table takes as long as the data. Embedded,
   * `client` itself (chdb has no request timeout).
   */
  schemaClient: ClickHouseClient;
  embedded: boolean;
  database: string;
  cluster: string | undefined;
  /**
   * Inserts newline-delimited JSON rows as they are, with no per-row work in JS. Embedded, chdb's `rawInsert`
   * hands the bytes to the engine (or, with `stagedInserts`, a staging file in the data directory that ClickHouse
   * reads itself); against a server they are streamed as the request body.
   *
   * @throws {StoreError} only: `bad_data` when ClickHouse refused the rows, `unavailable` for anything else.
   */
  insertJsonEachRow(table: string, rows: Buffer): Promise<void>;
  close(): Promise<void>;
}

/**
 * Rows carry their JSON text columns (attributes, messages, events) as JSON objects and arrays; these settings
 * (defaults in current ClickHouse, set explicitly for older servers) store their raw text in String columns.
 */
const jsonTextColumnSettings = {
  input_format_json_read_objects_as_strings: 1,
  input_format_json_read_arrays_as_strings: 1,
};
const stagedInsertSettingsClause = Object.entries({
  ...jsonTextColumnSettings,
  ...stagedInsertSettings(availableParallelism()),
})
  .map(([name, value]) => `${name} = ${value}`)
  .join(', ');

export async function openStore(options: StoreOptions): Promise<Store> {
  return options.clickhouseUrl ? openServerStore(options, options.clickhouseUrl) : openEmbeddedStore(options);
}

async function openEmbeddedStore(options: StoreOptions): Promise<Store> {
  const database = assertIdentifier(options.database ?? 'trajectories', 'database name');
  const path = resolve(options.dataDir, 'clickhouse');
  mkdirSync(path, { recursive: true });
  // Loaded lazily so that server deployments never load the 500 MB native library.
  const { createChdbConnection } = await import('chdb/connection');
  let client: ClickHouseClient;
  let connection: ReturnType<typeof createChdbConnection>;
  try {
    connection = createChdbConnection({ path });
    client = createClient({ connection } as Parameters<typeof createClient>[0]);
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS \`${database}\`` });
  } catch (error) {
    throw new Error(
      `cannot open embedded ClickHouse in ${path}: ${(error as Error).message}. ` +
        'Only one process can hold a data directory: stop the other receiver or pass another --data-dir.',
      { cause: error },
    );
  }
  // The embedded engine is one session per process, so USE sets the database for every later query.
  await client.command({ query: `USE \`${database}\`` });
  // Only now that this process holds the data directory are staging files left in it nobody else's (removed
  // whether or not this process stages: a leftover is never inserted, the write-ahead log replays its rows).
  const stagingDirectory = stagingDirectoryOf(options.dataDir);
  removeLeftoverStagingFiles(stagingDirectory);
  const staged = options.stagedInserts === true && canStageIn(stagingDirectory);
  const classified = classifyingClient(client);
  return {
    client: classified,
    schemaClient: classified,
    embedded: true,
    database,
    cluster: undefined,
    insertJsonEachRow: async (table, rows) => {
      try {
        const qualifiedTable = `${database}.${assertIdentifier(table, 'table name')}`;
        if (!staged) {
          await connection.chdb.rawInsert({
            table: qualifiedTable,
            values: rows,
            format: 'JSONEachRow',
            settings: jsonTextColumnSettings,
          });
          return;
        }
        // SETTINGS in the statement: they hold for this insert only, not for the session.
        // Straight to the session, as rawInsert did, so failures keep chdb's own error (its numeric clickhouseCode).
        await withStagingFile(stagingDirectory, rows, (file) =>
          connection.chdb.queryAsync(
            `INSERT INTO ${qualifiedTable} FROM INFILE ${sqlStringLiteral(file)} SETTINGS ${stagedInsertSettingsClause} FORMAT JSONEachRow`,
          ),
        );
      } catch (error) {
        throw toStoreError(error);
      }
    },
    close: () => client.close(),
  };
}

async function openServerStore(options: StoreOptions, url: string): Promise<Store> {
  const parsed = new URL(url);
  const databaseFromPath = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const database = assertIdentifier(databaseFromPath || options.database || 'trajectories', 'database name');
  parsed.pathname = '/';
  const cluster = options.cluster;
  const bootstrap = createClient({ url: parsed.toString(), request_timeout: 30_000 });
  try {
    const onCluster = cluster ? ` ON CLUSTER \`${assertIdentifier(cluster, 'cluster name')}\`` : '';
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS \`${database}\`${onCluster}` });
  } catch (error) {
    throw new Error(
      `cannot reach ClickHouse at ${redact(parsed)}: ${(error as Error).message}. ` +
        'Check --clickhouse-url (http://user:password@host:8123) and that the server is up.',
      { cause: error },
    );
  } finally {
    await bootstrap.close();
  }
  const clientOptions = {
    url: parsed.toString(),
    database,
    compression: { request: true, response: true },
    clickhouse_settings: { date_time_input_format: 'best_effort' as const },
  };
  const client = createClient({
    ...clientOptions,
    request_timeout: options.requestTimeoutMillis ?? defaultRequestTimeoutMillis,
  });
  // No progress headers (the client warns about a long timeout without them): they would keep a load balancer's
  // idle timer from firing, but Node refuses response headers past 16 KiB, which a copy of a few hours sends.
  // Behind a load balancer, upgrade against a server directly (README).
  const schemaClient = createClient({
    ...clientOptions,
    request_timeout: options.migrationRequestTimeoutMillis ?? defaultMigrationRequestTimeoutMillis,
    log: { level: ClickHouseLogLevel.ERROR },
  });
  return {
    client: classifyingClient(client),
    schemaClient: classifyingClient(schemaClient),
    embedded: false,
    database,
    cluster,
    insertJsonEachRow: async (table, rows) => {
      try {
        const query = `INSERT INTO ${assertIdentifier(table, 'table name')} SETTINGS input_format_json_read_objects_as_strings = 1, input_format_json_read_arrays_as_strings = 1 FORMAT JSONEachRow`;
        const result = await client.exec({ query, values: Readable.from([rows]) });
        // The response stream must be consumed for the HTTP connection to be reused.
        for await (const _chunk of result.stream) void _chunk;
      } catch (error) {
        throw toStoreError(error);
      }
    },
    close: async () => {
      await Promise.all([client.close(), schemaClient.close()]);
    },
  };
}

function redact(url: URL): string {
  const copy = new URL(url);
  if (copy.password) copy.password = '***';
  return copy.toString();
}
