/**
 * SQL lives in `.sql` files next to the code that runs it. This module loads them once and renders the few
 * deployment placeholders that differ between one embedded ClickHouse and a server cluster:
 *   {{on_cluster}}            -> '' or ON CLUSTER `name`
 *   {{engine:XMergeTree}}     -> XMergeTree or ReplicatedXMergeTree (server defaults for the replica path)
 * Query parameters are never rendered here: values are always bound with ClickHouse's {name:Type} syntax.
 *
 * A statement may carry directive comments on the lines right before it (migrations that copy data need them):
 *   -- skip-if: <query>   the statement is skipped when the query's first column is 1 (evaluated just before it)
 *   -- log: <query>       the query's first column is logged before the statement runs, unless it returns no row
 *                         (a long copy says so)
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

export interface SqlStatement {
  sql: string;
  /** A query whose first column is 1 when the statement must not run (its work is already done). */
  skipIf?: string | undefined;
  /** A query whose first column is a message to log before the statement runs (no row: nothing to log). */
  log?: string | undefined;
}

const directivePattern = /^\s*--\s*(skip-if|log):\s*(.+?)\s*$/;

/** Splits a SQL file into statements with their directives: each statement ends with a `;` at the end of a line. */
export function splitDirectedStatements(sql: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  for (const chunk of sql.split(/;[ \t]*$/m)) {
    const statement: SqlStatement = { sql: '' };
    const lines: string[] = [];
    for (const line of chunk.split('\n')) {
      const directive = directivePattern.exec(line);
      if (directive?.[1] === 'skip-if') statement.skipIf = directive[2];
      else if (directive?.[1] === 'log') statement.log = directive[2];
      else if (!line.trimStart().startsWith('--')) lines.push(line);
    }
    statement.sql = lines.join('\n').trim();
    if (statement.sql.length > 0) statements.push(statement);
    else if (statement.skipIf !== undefined || statement.log !== undefined) {
      throw new Error(`a -- skip-if: or -- log: directive is not followed by a statement: ${chunk.trim()}`);
    }
  }
  return statements;
}

/** Splits a SQL file into statements (directives dropped): each ends with a `;` at the end of a line. */
export function splitStatements(sql: string): string[] {
  return splitDirectedStatements(sql).map((statement) => statement.sql);
}
