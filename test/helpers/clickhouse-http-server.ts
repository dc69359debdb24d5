/**
 * A ClickHouse HTTP interface in front of embedded ClickHouse, for testing the server deployment path: the
 * receiver then talks to "a ClickHouse server" through @clickhouse/client over HTTP (URL, database, gzip request
 * and response compression, `param_*` query parameters, errors with X-ClickHouse-Exception-Code) while the SQL
 * runs on the same engine version the embedded path uses. It implements just what @clickhouse/client sends.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Session } from 'chdb';

export interface ClickHouseHttpServer {
  /** `http://default:@127.0.0.1:port` */
  url: string;
  /** Every statement received, for assertions. */
  statements: string[];
  /** While set, every request answers 503 (a server that is down behind its load balancer). */
  unavailable: boolean;
  close(): Promise<void>;
}

/** URL parameters that are protocol, not ClickHouse settings. */
const protocolParameters = new Set([
  'query',
  'query_id',
  'database',
  'default_format',
  'session_id',
  'enable_http_compression',
  'wait_end_of_query',
]);

async function readRequestBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

export async function startClickHouseHttpServer(dataDir: string): Promise<ClickHouseHttpServer> {
  const session = new Session(dataDir);
  const statements: string[] = [];
  let queue: Promise<unknown> = Promise.resolve();
  const state = { unavailable: false };

  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://clickhouse');
      if (url.pathname === '/ping') {
        response.end('Ok.\n');
        return;
      }
      const body = await readRequestBody(request);
      if (state.unavailable) {
        response.writeHead(503).end('Service Unavailable');
        return;
      }
      const inlineQuery = url.searchParams.get('query');
      // With `query` in the URL the body is the INSERT's data; without, the body is the statement.
      let sql = inlineQuery === null ? body.toString('utf8') : `${inlineQuery}\n${body.toString('utf8')}`;
      const settings = [...url.searchParams].filter(
        ([key]) => !protocolParameters.has(key) && !key.startsWith('param_'),
      );
      if (settings.length > 0 && !/\bSETTINGS\b/i.test(sql.split('\n')[0] ?? '') && !/^\s*INSERT\b/i.test(sql)) {
        sql = sql.replace(
          /(\s+FORMAT\s+\w+\s*)?;?\s*$/i,
          (format) =>
            ` SETTINGS ${settings.map(([key, value]) => `${key} = '${value.replaceAll("'", "\\'")}'`).join(', ')}${format}`,
        );
      }
      // Over HTTP a NULL parameter is `\N` (TSV escaping); the embedded binding takes a JS null.
      const params = Object.fromEntries(
        [...url.searchParams]
          .filter(([key]) => key.startsWith('param_'))
          .map(([key, value]) => [key.slice(6), value === '\\N' ? null : value]),
      );
      const database = url.searchParams.get('database');
      statements.push(sql);
      // The embedded engine is one session: run requests one at a time so USE <database> applies to its query.
      const run = queue.then(async () => {
        if (database) await session.queryAsync(`USE \`${database}\``);
        return Object.keys(params).length > 0 ? session.queryBindAsync(sql, params, {}) : session.queryAsync(sql, {});
      });
      queue = run.catch(() => undefined);
      try {
        const result = await run;
        const bytes = Buffer.from(result.bytes());
        const compress =
          url.searchParams.get('enable_http_compression') === '1' &&
          /gzip/.test(String(request.headers['accept-encoding'] ?? ''));
        response.writeHead(200, {
          'Content-Type': 'text/plain; charset=UTF-8',
          'X-ClickHouse-Summary': JSON.stringify({
            read_rows: String(result.rowsRead),
            read_bytes: String(result.bytesRead),
            written_rows: '0',
            written_bytes: '0',
            total_rows_to_read: '0',
            result_rows: '0',
            result_bytes: '0',
            elapsed_ns: '0',
          }),
          ...(compress ? { 'Content-Encoding': 'gzip' } : {}),
        });
        response.end(compress ? gzipSync(bytes) : bytes);
      } catch (error) {
        const message = (error as Error).message;
        const code = /Code: (\d+)/.exec(message)?.[1] ?? '1002';
        response.writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': code });
        response.end(message.includes('DB::Exception') ? message : `Code: ${code}. DB::Exception: ${message}`);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://default:@127.0.0.1:${port}`,
    statements,
    get unavailable() {
      return state.unavailable;
    },
    set unavailable(value: boolean) {
      state.unavailable = value;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      session.close();
    },
  };
}
