/**
 * `trajectories sql "SELECT ..." [--format F]`: one query through a ClickHouse HTTP interface, by default the
 * receiver's read-only SQL port (collector/sql/), printed as ClickHouse formats it (a table by default). Any
 * ClickHouse server's HTTP interface works the same, so `--url` can point at a server deployment too.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import type { OptionTable } from '../src/config/option-definition.ts';
import { addOptions, resolveFlags } from './command-options.ts';
import { readLocationOptions } from './read-location.ts';

export const sqlOptions = {
  url: {
    flag: '--url <url>',
    environment: ['TRAJECTORIES_SQL_URL'],
    schema: z.url().default('http://127.0.0.1:8123'),
    description: "ClickHouse HTTP interface to query: the receiver's SQL port, or a ClickHouse server",
  },
  token: readLocationOptions.token,
  format: {
    flag: '--format <format>',
    schema: z.string().regex(/^\w+$/, 'must be a ClickHouse output format name').default('PrettyCompactMonoBlock'),
    description: 'ClickHouse output format (a FORMAT clause in the query wins)',
  },
} satisfies OptionTable;

async function runQuery(query: string, parsed: Record<string, unknown>): Promise<void> {
  const { values } = resolveFlags(sqlOptions, parsed, process.env);
  const url = new URL(values.url);
  url.searchParams.set('default_format', values.format);
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=UTF-8' };
  // ClickHouse clients send credentials as basic auth; the SQL port reads the password as the bearer token.
  if (values.token)
    headers['authorization'] = `Basic ${Buffer.from(`trajectories:${values.token}`).toString('base64')}`;
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', body: query, headers, signal: AbortSignal.timeout(600_000) });
  } catch (error) {
    throw new Error(
      `cannot reach ${url.origin}: ${(error as Error).message}. Start the receiver (trajectories serve; its SQL port is 8123 unless --sql-port says otherwise) or pass --url`,
      { cause: error },
    );
  }
  const body = await response.text();
  if (!response.ok) throw new Error(body.trim() || `${url.origin} answered ${response.status}`);
  process.stdout.write(body);
}

export function addSqlCommand(program: Command): void {
  addOptions(
    program
      .command('sql')
      .argument('<query>', 'one SELECT')
      .description("run a read-only query on the receiver's store through its SQL port and print the result"),
    sqlOptions,
  ).action(runQuery);
}
