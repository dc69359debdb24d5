/**
 * ClickHouse's HTTP interface on its own port, read-only and scoped to the caller's tenant, so `curl`,
 * `@clickhouse/client` and Grafana's ClickHouse data source query the store while the receiver holds it (the
 * embedded engine binds its data directory to one process). `GET /ping`; `GET /?query=...` and `POST /` with the
 * query in the body (after the `query` parameter's text when both are given); `param_<name>` query parameters;
 * `default_format` and a FORMAT clause; credentials as ClickHouse clients send them (basic auth, whose password is
 * the bearer token; `X-ClickHouse-Key`; the `password` parameter; or `Authorization: Bearer`). Each query goes
 * through src/store/guarded-sql.ts; errors come back as ClickHouse's (`Code: N. DB::Exception: ... (NAME)` with
 * `X-ClickHouse-Exception-Code`), which clients parse. Queries run one or two at a time beside ingest.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  guardQuery,
  readSqlCatalog,
  SqlRefusedError,
  type SqlCatalog,
  type SqlLimits,
} from '../../src/store/guarded-sql.ts';
import { StoreError } from '../../src/store/store-error.ts';
import { authenticate } from '../auth/authenticate.ts';
import { checkHost } from '../http/browser-guards.ts';
import type { TenantTokens } from '../auth/tenant-tokens.ts';

export interface SqlServerOptions {
  client: ClickHouseClient;
  database: string;
  tokens: TenantTokens | undefined;
  limits: SqlLimits;
  /** Queries running at once; more wait, and past `maxQueued` are refused. @default 2 */
  concurrency?: number;
  maxQueued?: number;
  /** Host names answered (DNS rebinding: a web page must not read the store through a name it controls). */
  allowedHosts: ReadonlySet<string>;
  log: (message: string) => void;
}

const maxQueryBytes = 1024 * 1024;
const defaultFormat = 'TabSeparated';

/** URL parameters that are not settings, or settings that only concern the HTTP exchange. */
const transportParameters = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'session_id',
  'session_timeout',
  'session_check',
  'user',
  'password',
  'compress',
  'decompress',
  'enable_http_compression',
  'http_zlib_compression_level',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'wait_end_of_query',
  'buffer_size',
  'readonly',
  'extremes',
]);

/** The guard's limits a client may lower (never raise) through URL parameters. */
const lowerableLimits: Record<string, keyof SqlLimits> = {
  max_execution_time: 'maxExecutionSeconds',
  max_memory_usage: 'maxMemoryBytes',
  max_result_rows: 'maxResultRows',
  max_result_bytes: 'maxResultBytes',
};

class ClickHouseHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(message);
  }
}

const contentTypes: Array<[RegExp, string]> = [
  [/^JSON/, 'application/json; charset=UTF-8'],
  [/^(TabSeparated|TSV)/, 'text/tab-separated-values; charset=UTF-8'],
  [/^CSV/, 'text/csv; charset=UTF-8; header=absent'],
  [/^(Pretty|Vertical|Markdown|Values|XML|Raw|LineAsString|Template)/, 'text/plain; charset=UTF-8'],
];

function contentTypeOf(format: string): string {
  return contentTypes.find(([pattern]) => pattern.test(format))?.[1] ?? 'application/octet-stream';
}

function credentialsOf(request: IncomingMessage, url: URL): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization && /^Bearer\s/i.test(authorization)) return authorization;
  const basic = authorization ? /^Basic\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    return password ? `Bearer ${password}` : undefined;
  }
  const key = request.headers['x-clickhouse-key'];
  if (typeof key === 'string' && key) return `Bearer ${key}`;
  const password = url.searchParams.get('password');
  return password ? `Bearer ${password}` : undefined;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxQueryBytes)
      throw new ClickHouseHttpError(413, 62, 'SYNTAX_ERROR', `the query is longer than ${maxQueryBytes} bytes`);
    chunks.push(chunk);
  }
  if (request.headers['content-encoding'] && request.headers['content-encoding'] !== 'identity')
    throw new ClickHouseHttpError(
      415,
      0,
      'UNKNOWN_ENCODING',
      `Content-Encoding ${request.headers['content-encoding']} is not supported here: send the query uncompressed`,
    );
  return Buffer.concat(chunks).toString('utf8');
}

function limitsFor(url: URL, limits: SqlLimits): SqlLimits {
  const chosen = { ...limits };
  for (const [name, value] of url.searchParams) {
    if (transportParameters.has(name) || name.startsWith('param_')) continue;
    const limit = lowerableLimits[name];
    if (limit === undefined)
      throw new ClickHouseHttpError(
        403,
        164,
        'READONLY',
        `Cannot modify '${name}' setting in readonly mode: this port runs queries under its own settings`,
      );
    const number = Number(value);
    if (!Number.isInteger(number) || number <= 0 || number > limits[limit])
      throw new ClickHouseHttpError(
        403,
        452,
        'SETTING_CONSTRAINT_VIOLATION',
        `Setting ${name} should be a positive integer not greater than ${limits[limit]}`,
      );
    chosen[limit] = number;
  }
  return chosen;
}

/** ClickHouse's HTTP status for an error code (the ones users meet here). */
function statusOf(code: number): number {
  if (code === 62) return 400; // SYNTAX_ERROR
  if (code === 60 || code === 81) return 404; // UNKNOWN_TABLE, UNKNOWN_DATABASE
  if (code === 164 || code === 497 || code === 452) return 403; // READONLY, ACCESS_DENIED, SETTING_CONSTRAINT_VIOLATION
  return 500; // ClickHouse's answer to the rest, limits exceeded included
}

function toHttpError(error: unknown): ClickHouseHttpError {
  if (error instanceof ClickHouseHttpError) return error;
  if (error instanceof SqlRefusedError)
    return new ClickHouseHttpError(statusOf(error.code.number), error.code.number, error.code.name, error.message);
  // The store's own error: ClickHouse's message is the user's to read (about their query and their tenant's rows,
  // since the tenant filter runs before anything the query computes).
  if (error instanceof StoreError && error.clickhouseCode !== undefined)
    return new ClickHouseHttpError(
      statusOf(error.clickhouseCode),
      error.clickhouseCode,
      error.clickhouseCodeName ?? 'UNKNOWN',
      error.message,
    );
  return new ClickHouseHttpError(500, 1001, 'STD_EXCEPTION', (error as Error).message ?? String(error));
}

function sendError(response: ServerResponse, error: ClickHouseHttpError): void {
  const message = error.message.replace(/\s+$/, '').replace(/\.$/, '');
  response.writeHead(error.status, {
    'content-type': 'text/plain; charset=UTF-8',
    'x-clickhouse-exception-code': String(error.code),
  });
  response.end(`Code: ${error.code}. DB::Exception: ${message}. (${error.codeName}) (version trajectories)\n`);
}

export function createSqlServer(options: SqlServerOptions): Server {
  let catalog: SqlCatalog | undefined;
  // Read at the first query: the views and tables exist once migrations ran, and the catalog changes only then.
  const catalogOf = async () => (catalog ??= await readSqlCatalog(options.client, options.database));
  let timezone: string | undefined;
  const timezoneOf = async () => {
    if (timezone === undefined) {
      const result = await options.client.query({ query: 'SELECT timezone() AS zone', format: 'JSONEachRow' });
      timezone = (await result.json<{ zone: string }>())[0]?.zone ?? 'UTC';
    }
    return timezone;
  };
  const concurrency = options.concurrency ?? 2;
  const maxQueued = options.maxQueued ?? 16;
  let running = 0;
  const waiting: Array<() => void> = [];
  const acquire = async () => {
    if (running >= concurrency) {
      if (waiting.length >= maxQueued)
        throw new ClickHouseHttpError(
          503,
          202,
          'TOO_MANY_SIMULTANEOUS_QUERIES',
          `Too many simultaneous queries: ${running} running, ${waiting.length} waiting; retry shortly`,
        );
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    running++;
  };
  const release = () => {
    running--;
    waiting.shift()?.();
  };

  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://sql');
    if (url.pathname === '/ping' && (request.method === 'GET' || request.method === 'HEAD')) {
      response.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' });
      response.end('Ok.\n');
      return;
    }
    try {
      checkHost(request, options.allowedHosts);
    } catch (error) {
      throw new ClickHouseHttpError(403, 497, 'ACCESS_DENIED', (error as Error).message);
    }
    if (url.pathname !== '/')
      throw new ClickHouseHttpError(404, 0, 'NOT_FOUND', `no handler for ${url.pathname}: query at / or /ping`);
    if (request.method !== 'GET' && request.method !== 'POST')
      throw new ClickHouseHttpError(405, 0, 'METHOD_NOT_ALLOWED', `${request.method} is not supported: GET or POST`);
    const authentication = authenticate(options.tokens, credentialsOf(request, url));
    if (authentication.status !== 'authenticated') {
      response.setHeader('www-authenticate', 'Basic realm="trajectories SQL"');
      throw new ClickHouseHttpError(
        401,
        516,
        'AUTHENTICATION_FAILED',
        authentication.status === 'missing'
          ? 'Authentication required: pass a bearer token as the password (basic auth, X-ClickHouse-Key or password=)'
          : 'Authentication failed: the token is not one of the receiver’s',
      );
    }
    const databaseHeader = request.headers['x-clickhouse-database'];
    const database = url.searchParams.get('database') ?? (typeof databaseHeader === 'string' ? databaseHeader : '');
    // Clients send `default` when nobody chose a database; unqualified names read the store's database either way.
    if (!['', 'default', options.database].includes(database))
      throw new ClickHouseHttpError(
        404,
        81,
        'UNKNOWN_DATABASE',
        `Database ${database} does not exist here: use ${options.database}`,
      );
    const limits = limitsFor(url, options.limits);
    const body = request.method === 'POST' ? await readBody(request) : '';
    const text = [url.searchParams.get('query') ?? '', body].filter((part) => part.trim() !== '').join('\n');
    if (text.trim() === '') throw new ClickHouseHttpError(400, 62, 'SYNTAX_ERROR', 'Empty query');
    const params: Record<string, string> = {};
    for (const [name, value] of url.searchParams) if (name.startsWith('param_')) params[name.slice(6)] = value;
    const headerFormat = request.headers['x-clickhouse-format'];
    const requestedFormat =
      url.searchParams.get('default_format') ?? (typeof headerFormat === 'string' ? headerFormat : defaultFormat);

    await acquire();
    try {
      const guarded = await guardQuery(options.client, text, {
        catalog: await catalogOf(),
        tenant: authentication.tenant,
        limits,
        defaultFormat: requestedFormat,
        params,
      });
      const result = await options.client.exec({ query: guarded.sql, query_params: params });
      const queryId = url.searchParams.get('query_id') ?? result.query_id;
      // Buffered, so an error the engine raises while producing rows is still an error status, not a cut stream.
      const chunks: Buffer[] = [];
      for await (const chunk of result.stream as AsyncIterable<Buffer>) chunks.push(chunk);
      const bytes = Buffer.concat(chunks);
      response.writeHead(200, {
        'content-type': contentTypeOf(guarded.format),
        'content-length': bytes.length,
        'x-clickhouse-format': guarded.format,
        'x-clickhouse-query-id': queryId,
        'x-clickhouse-timezone': await timezoneOf(),
      });
      response.end(bytes);
    } finally {
      release();
    }
  };

  return createServer((request, response) => {
    answer(request, response).catch((error: unknown) => {
      const failure = toHttpError(error);
      if (failure.status >= 500 && !(error instanceof ClickHouseHttpError)) options.log(`SQL port: ${failure.message}`);
      if (response.headersSent) response.destroy();
      else sendError(response, failure);
    });
  });
}
