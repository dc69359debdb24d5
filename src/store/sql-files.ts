/**
 * SQL lives in `.sql` files next to the code that runs it. This module loads them once and renders the few
 * deployment placeholders that differ between one embedded ClickHouse and a server cluster:
 *   {{on_cluster}}            -> '' or ON CLUSTER `name`
 *   {{engine:XMergeTree}}     -> XMergeTree or ReplicatedXMergeTree (server defaults for the replica path)
 * Query parameters are never rendered here: values are always bound with ClickHouse's {name:Type} syntax.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const storeDirectory = dirname(fileURLToPath(import.meta.url));
const cache = new Map<string, string>();

/** Reads `src/store/<relativePath>` once per process. */
export function loadSql(relativePath: string): string {
  return loadSqlFile(join(storeDirectory, relativePath));
}

/** Reads a `.sql` file (a path, or a `file:` URL such as `new URL('./x.sql', import.meta.url)`) once per process. */
export function loadSqlFile(file: string | URL): string {
  const path = typeof file === 'string' ? file : fileURLToPath(file);
  let text = cache.get(path);
  if (text === undefined) {
    text = readFileSync(path, 'utf8');
    cache.set(path, text);
  }
  return text;
}

export interface DeploymentOptions {
  /** ClickHouse cluster name for ON CLUSTER DDL and Replicated engines; undefined for a single node. */
  cluster?: string | undefined;
}

const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function assertIdentifier(value: string, what: string): string {
  if (!identifierPattern.test(value)) {
    throw new Error(`${what} ${JSON.stringify(value)} is not a valid ClickHouse identifier (letters, digits, _)`);
  }
  return value;
}

export function renderDeployment(sql: string, options: DeploymentOptions): string {
  const cluster = options.cluster ? assertIdentifier(options.cluster, 'cluster name') : undefined;
  return sql
    .replaceAll('{{on_cluster}}', cluster ? `ON CLUSTER \`${cluster}\`` : '')
    .replace(/\{\{engine:(\w+)\}\}/g, (_match, engine: string) => (cluster ? `Replicated${engine}` : engine));
}

/** Splits a migration file into statements: each ends with a `;` at the end of a line. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;[ \t]*$/m)
    .map((statement) =>
      statement
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('--'))
        .join('\n')
        .trim(),
    )
    .filter((statement) => statement.length > 0);
}
