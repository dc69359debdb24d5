/**
 * The receiver service: opens the store (embedded ClickHouse by default), applies migrations, replays the
 * write-ahead log, and serves OTLP/HTTP + the JSON API and OTLP/gRPC. `startReceiver({ httpPort: 0, grpcPort: 0 })`
 * is what tests and embedding applications use; `trajectories serve` calls it after resolving flags and the
 * environment (`TRAJECTORIES_*`), while a direct call takes only the options and the environment it is given.
 */
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Server as GrpcServer } from '@grpc/grpc-js';
import type { Store } from '../src/store/client.ts';
import { openMigratedStore } from '../src/store/migrate.ts';
import { StoreError } from '../src/store/store-error.ts';
import { parquetConverterFor } from '../src/exporters/writers/parquet-converter.ts';
import { createEmbeddingClient } from '../src/trajectories/embedding-client.ts';
import { addContextRoutes } from './api/context-routes.ts';
import { addTraceRoutes } from './api/trace-routes.ts';
import { addTrajectoryRoutes } from './api/trajectory-routes.ts';
import { addExportRoutes } from './api/export-routes.ts';
import { addAnalyticsRoutes } from './api/analytics-routes.ts';
import { addTimelineRoutes } from './api/timeline-routes.ts';
import { addDashboardRoutes } from './dashboard/dashboard-routes.ts';
import { addProxyRoutes } from './proxy/proxy-routes.ts';
import { parseProxyUpstreams } from './proxy/proxy-upstreams.ts';
import { addDeleteRoutes } from './api/delete-routes.ts';
import { addImportRoutes } from './api/import-routes.ts';
import { createDeletions } from './api/deletions.ts';
import { DeletedTraces } from './ingest/deleted-traces.ts';
import { HttpError } from './http/http-error.ts';
import { readDeletedTraces } from '../src/store/delete-traces.ts';
import { createSqlServer } from './sql/sql-http-server.ts';
import {
  createRetentionSweeper,
  parseRetentionByTenant,
  type RetentionSweeper,
} from './retention/retention-sweeper.ts';
import { loadModelPrices, storeModelPrices } from '../src/analytics/model-prices.ts';
import { startExportJobs } from './api/job-routes.ts';
import { checkOpenReceiver } from './auth/open-receiver-check.ts';
import { loadTenantTokensFile, parseInlineTenantTokens, type TenantTokens } from './auth/tenant-tokens.ts';
import { resolveReceiverConfig, type ReceiverConfig, type ReceiverOptions } from './config.ts';
import { assessHealth, healthGaugeValue, healthHttpStatus, healthResponseBody } from './health/health.ts';
import { readHealthInputs } from './health/health-sources.ts';
import { bindGrpcServer, createGrpcServer } from './grpc/server.ts';
import { Router } from './http/router.ts';
import { allowedHostNames } from './http/browser-guards.ts';
import { trackConnections } from './http/connection-drain.ts';
import { createHttpServer } from './http/server.ts';
import { sendBytes, sendJson } from './http/send.ts';
import { addOtlpRoutes } from './http/otlp-routes.ts';
import { addMcpRoute } from './mcp/mcp-route.ts';
import { InflightBudget } from './ingest/inflight-budget.ts';
import { ReceiverMetrics } from './metrics/receiver-metrics.ts';
import { Ingestor } from './ingest/ingestor.ts';
import { StoreWriter } from './ingest/store-writer.ts';
import { WriteAheadLog } from './ingest/write-ahead-log.ts';
import { createOtlpExportPath } from './otlp-export/export-path.ts';
import { createSummarizer, type Summarizer } from './summaries/summarizer.ts';

export interface Receiver {
  config: ReceiverConfig;
  store: Store;
  httpPort: number;
  /** -1 when gRPC is disabled. */
  grpcPort: number;
  /** `http://host:port`, the value for OTEL_EXPORTER_OTLP_ENDPOINT. */
  httpUrl: string;
  /** `host:port` for OTLP/gRPC clients. */
  grpcAddress: string;
  /** The read-only ClickHouse HTTP interface (collector/sql/); -1 and undefined when off. */
  sqlPort: number;
  sqlUrl: string | undefined;
  writer: StoreWriter;
  /** What `GET /metrics` exposes; components count into it. */
  metrics: ReceiverMetrics;
  /** Keeps `trajectory_summaries` (the list endpoint) current; `summaries.flush()` waits until it is. */
  summaries: Summarizer;
  /** Deletes traces past their tenant's retention (hourly; `sweep()` runs one now). */
  retention: RetentionSweeper;
  /** Resolves when everything acknowledged so far is in ClickHouse and summarized (tests and graceful shutdown use it). */
  flush(timeoutMillis?: number): Promise<void>;
  close(): Promise<void>;
}

function loadTokens(config: ReceiverConfig): TenantTokens | undefined {
  if (config.authTokensFile) return loadTenantTokensFile(config.authTokensFile);
  if (config.authTokens) return parseInlineTenantTokens(config.authTokens);
  return undefined;
}

/** Lets in-flight calls finish until the deadline, then cancels the rest (their clients retry elsewhere). */
async function stopGrpcServer(server: GrpcServer, timeoutMillis: number): Promise<void> {
  const timer = setTimeout(() => server.forceShutdown(), timeoutMillis);
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  clearTimeout(timer);
}

/** ClickHouse's HTTP port, where its clients look first. */
const defaultSqlPort = 8123;

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startReceiver(
  options: ReceiverOptions = {},
  environment: NodeJS.ProcessEnv = {},
): Promise<Receiver> {
  const config = resolveReceiverConfig(options, environment);
  const tokens = loadTokens(config);
  checkOpenReceiver({
    host: config.host,
    hasTokens: tokens !== undefined && tokens.count > 0,
    insecure: config.insecure,
  });
  const log = (message: string) => console.error(`[trajectories] ${message}`);
  const prices = loadModelPrices(config.pricesFile);
  const retentionPolicy = {
    defaultDays: config.retentionDays,
    byTenant: parseRetentionByTenant(config.retentionDaysByTenant),
  };
  const metrics = new ReceiverMetrics();
  const store = await openMigratedStore({
    dataDir: config.dataDir,
    clickhouseUrl: config.clickhouseUrl,
    database: config.database,
    cluster: config.cluster,
    log,
  });
  await storeModelPrices(store.client, prices, config.pricesFile ?? 'shipped');
  let lastLoggedError = '';
  const wal = await WriteAheadLog.open(join(config.dataDir, 'wal'), {
    sync: config.walSync,
    minFreeBytes: config.minFreeBytes,
    onWarning: log,
  });
  for (const warning of wal.recoveryWarnings) log(warning);
  // Loaded before the writer replays the log: rows of a trace deleted before a crash must not be stored again.
  const deletedTraces = new DeletedTraces();
  for (const { tenant, trace_id } of await readDeletedTraces(store.client)) deletedTraces.add(tenant, [trace_id]);
  const writer = new StoreWriter(store, wal, config.dataDir, {
    deletedTraces,
    lingerMillis: config.batchLingerMillis,
    maxDeadLetterBytes: config.maxDeadLetterBytes,
    metrics,
    onError: (error) => {
      if (error.message === lastLoggedError) return;
      lastLoggedError = error.message;
      if (!(error instanceof StoreError)) log(`store writer: ${error.message}`);
      else if (error.kind === 'unavailable') log(`ClickHouse insert failed (will retry): ${error.message}`);
      else
        log(
          `ClickHouse refused rows as bad data (isolating them; bad rows go to the dead-letter file): ${error.message}`,
        );
    },
  });
  writer.start();
  // Summaries keep pace with ingest, but while the log has a backlog for ClickHouse they take a bounded share of
  // the time and storing acknowledged spans keeps the rest.
  const summaries = createSummarizer(store.client, {
    log,
    underBacklog: () => wal.pendingBytes > 8 * 1024 * 1024,
    stitchWindowSeconds: config.stitchWindowSeconds,
    openQuietSeconds: Math.max(config.quietSeconds, config.stitchWindowSeconds),
    isDeleted: (tenant, traceId) => deletedTraces.has(tenant, traceId),
  });
  summaries.start();
  const retention = createRetentionSweeper({ client: store.client, policy: retentionPolicy, summaries, log });
  retention.start();
  const ingestor = new Ingestor(
    wal,
    writer,
    { maxPendingBytes: config.maxPendingBytes, maxLogBytes: config.maxLogBytes },
    (error) => log(`write-ahead log append failed (answering 503): ${error.message}`),
  );
  const decodeLimits = { maxAttributeBytes: config.maxAttributeBytes };
  /** Resolves true once the log holds nothing ClickHouse lacks, false at the deadline. */
  const logStoredBy = async (deadline: number) => {
    while (wal.pendingBytes > 0) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return true;
  };

  const router = new Router();
  const healthSources = {
    storeKind: store.embedded ? ('embedded' as const) : ('server' as const),
    writer,
    wal,
    maxPendingBytes: config.maxPendingBytes,
    maxLogBytes: config.maxLogBytes,
  };
  router.add(
    'GET',
    '/healthz',
    (context) => {
      const report = assessHealth(readHealthInputs(healthSources));
      sendJson(context.response, healthHttpStatus(report.status), healthResponseBody(report));
    },
    { public: true, audience: 'probe' },
  );
  router.add(
    'GET',
    '/metrics',
    async ({ response }) => {
      const { contentType, body } = await metrics.render();
      sendBytes(response, 200, contentType, body);
    },
    { public: true, audience: 'probe' },
  );
  const inflight = new InflightBudget(config.maxInflightBytes);
  metrics.observe(
    'trajectories_backlog_bytes',
    'Bytes in the write-ahead log not yet in ClickHouse',
    () => wal.pendingBytes,
  );
  metrics.observe(
    'trajectories_inflight_bytes',
    'Request body bytes held in memory being read or decoded',
    () => inflight.usedBytes,
  );
  metrics.observe(
    'trajectories_health_state',
    'Receiver health as /healthz reports it: 0 ok, 1 degraded, 2 unavailable',
    () => healthGaugeValue(assessHealth(readHealthInputs(healthSources)).status),
  );
  metrics.observe(
    'trajectories_wal_free_bytes',
    'Free bytes on the filesystem under the write-ahead log (appends are refused below the reserve)',
    () => wal.diskSpace.freeBytes ?? Number.NaN,
  );
  metrics.observe(
    'trajectories_wal_damaged_bytes_skipped',
    'Bytes of damaged write-ahead log records skipped since start (acknowledged rows lost; the log says which)',
    () => wal.damage.bytesSkipped,
  );
  // One export path for both transports: the same admission, memory budget, decoding and ingest.
  const exportPath = createOtlpExportPath({ ingestor, inflight, decodeLimits, metrics });
  addOtlpRoutes(router, {
    exportPath,
    maxRequestBytes: config.maxRequestBytes,
    bodyIdleMillis: config.bodyIdleTimeoutMillis,
    metrics,
  });
  const readLimits = { maxSpansPerRead: config.maxReadSpans };
  addTraceRoutes(router, store.client, { readLimits });
  const embeddings = config.embeddingsUrl
    ? createEmbeddingClient({
        url: config.embeddingsUrl,
        model: config.embeddingsModel,
        apiKey: config.embeddingsApiKey,
      })
    : undefined;
  addTrajectoryRoutes(router, store.client, {
    quietSeconds: config.quietSeconds,
    gamma: config.gamma,
    stitchWindowSeconds: config.stitchWindowSeconds,
    embeddings,
    readLimits,
  });
  addExportRoutes(router, store.client, {
    quietSeconds: config.quietSeconds,
    gamma: config.gamma,
    stitchWindowSeconds: config.stitchWindowSeconds,
    readLimits,
    parquetConverter: parquetConverterFor(store),
  });
  addTimelineRoutes(router, store.client, { readLimits });
  addAnalyticsRoutes(router, store.client);
  addDashboardRoutes(router);
  addImportRoutes(router, ingestor, config.maxRequestBytes);
  const proxyUpstreams = parseProxyUpstreams(config.proxyUpstreams ?? '');
  addProxyRoutes(router, {
    upstreams: proxyUpstreams,
    ingestor,
    metrics,
    timeoutMillis: config.proxyTimeoutMillis,
    failClosed: config.proxyFailClosed,
    maxRequestBytes: config.maxRequestBytes,
    log,
  });
  if (proxyUpstreams.size > 0)
    log(
      `llm proxy: ${[...proxyUpstreams.values()].map((upstream) => `/proxy/${upstream.name} -> ${upstream.baseUrl.href}`).join(', ')}`,
    );
  addDeleteRoutes(
    router,
    createDeletions({
      client: store.client,
      deletedTraces,
      writer,
      summaries,
      storeAcknowledged: async () => {
        if (!(await logStoredBy(Date.now() + 30_000)))
          throw new HttpError(503, `${wal.pendingBytes} acknowledged bytes are not yet in ClickHouse; retry shortly`, {
            'Retry-After': '5',
          });
      },
    }),
  );
  addContextRoutes(router, store.client, {
    quietSeconds: config.quietSeconds,
    gamma: config.gamma,
    stitchWindowSeconds: config.stitchWindowSeconds,
    embeddings,
    readLimits,
  });

  const onError = (error: unknown) => log(`request failed: ${(error as Error).stack ?? String(error)}`);
  addMcpRoute(router, store.client, {
    quietSeconds: config.quietSeconds,
    gamma: config.gamma,
    stitchWindowSeconds: config.stitchWindowSeconds,
    embeddings,
    readLimits,
    onError,
  });
  const httpServer: HttpServer = createHttpServer({
    router,
    tokens,
    onError,
    allowedHosts: allowedHostNames(config.host, config.allowedHosts),
    headersTimeoutMillis: config.headersTimeoutMillis,
    requestTimeoutMillis: config.requestTimeoutMillis,
    maxConnections: config.maxConnections,
  });
  const connections = trackConnections(httpServer);
  let grpcServer: GrpcServer | undefined;
  let grpcPort = -1;
  let sqlServer: HttpServer | undefined;
  let sqlConnections: ReturnType<typeof trackConnections> | undefined;
  let sqlPort = -1;
  let exportJobs: ReturnType<typeof startExportJobs> | undefined;
  try {
    if (config.jobsFile)
      exportJobs = startExportJobs({
        jobsFile: config.jobsFile,
        store,
        router,
        settings: {
          quietSeconds: config.quietSeconds,
          gamma: config.gamma,
          stitchWindowSeconds: config.stitchWindowSeconds,
        },
        log,
      });
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', (error: NodeJS.ErrnoException) => {
        const hint =
          error.code === 'EADDRINUSE' ? ' (is another receiver running? choose another port with --http-port)' : '';
        reject(new Error(`cannot listen for OTLP/HTTP on ${config.host}:${config.httpPort}: ${error.message}${hint}`));
      });
      httpServer.listen(config.httpPort, config.host, resolve);
    });
    if (config.grpcPort >= 0) {
      const otlpGrpcServer = createGrpcServer({
        exportPath,
        inflight,
        tokens,
        maxRequestBytes: config.maxRequestBytes,
        bodyIdleMillis: config.bodyIdleTimeoutMillis,
        requestTimeoutMillis: config.requestTimeoutMillis,
        maxConnections: config.maxConnections,
        onError,
        metrics,
      });
      grpcServer = otlpGrpcServer;
      grpcPort = await bindGrpcServer(otlpGrpcServer, config.host, config.grpcPort);
    }
    // The SQL port is on by default for the embedded store only: with a server, users query their server.
    const requestedSqlPort = config.sqlPort ?? (config.clickhouseUrl ? -1 : defaultSqlPort);
    if (requestedSqlPort >= 0) {
      const server = createSqlServer({
        client: store.client,
        database: store.database,
        tokens,
        limits: {
          maxExecutionSeconds: config.sqlMaxExecutionSeconds,
          maxMemoryBytes: config.sqlMaxMemoryBytes,
          maxResultRows: config.sqlMaxResultRows,
          maxResultBytes: config.sqlMaxResultBytes,
        },
        allowedHosts: allowedHostNames(config.host, config.allowedHosts),
        log,
      });
      server.headersTimeout = config.headersTimeoutMillis;
      server.requestTimeout = config.requestTimeoutMillis;
      server.maxConnections = config.maxConnections;
      const bound = await new Promise<boolean>((resolve, reject) => {
        server.once('error', (error: NodeJS.ErrnoException) => {
          // Only a port the user chose is worth failing for: 8123 is also a local ClickHouse server's port.
          if (error.code === 'EADDRINUSE' && config.sqlPort === undefined) {
            log(`SQL port ${defaultSqlPort} is in use (a ClickHouse server?), so SQL is off: pass --sql-port <port>`);
            resolve(false);
          } else
            reject(
              new Error(
                `cannot listen for SQL on ${config.host}:${requestedSqlPort}: ${error.message} (choose another port with --sql-port, or -1 to turn it off)`,
              ),
            );
        });
        server.listen(requestedSqlPort, config.host, () => resolve(true));
      });
      if (bound) {
        sqlServer = server;
        sqlConnections = trackConnections(server);
        sqlPort = (server.address() as AddressInfo).port;
      }
    }
  } catch (error) {
    httpServer.close();
    sqlServer?.close();
    await retention.stop();
    await exportJobs?.stop();
    await summaries.stop();
    await writer.stop();
    await wal.close();
    await store.close();
    throw error;
  }
  const httpPort = (httpServer.address() as AddressInfo).port;

  const flush = async (timeoutMillis = 30_000) => {
    const deadline = Date.now() + timeoutMillis;
    if (!(await logStoredBy(deadline)))
      throw new Error(`flush timed out with ${wal.pendingBytes} bytes not yet in ClickHouse`);
    await summaries.flush(Math.max(1, deadline - Date.now()));
  };

  // Shutdown (SIGTERM, SIGINT, `close()`): requests get at most a third of the grace period, and 10 s, to finish;
  // the rest is for storing what they acknowledged. What is still in the log at the deadline is replayed on the
  // next start, so a short grace costs time at the next start, never data.
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const deadline = Date.now() + config.shutdownGraceSeconds * 1000;
      const remaining = () => Math.max(1, deadline - Date.now());
      const requestsMillis = Math.min(10_000, remaining() / 3);
      await Promise.all([
        connections.drain(requestsMillis),
        sqlConnections?.drain(requestsMillis),
        grpcServer ? stopGrpcServer(grpcServer, requestsMillis) : undefined,
      ]);
      await exportJobs?.stop();
      await retention.stop();
      await summaries.stop();
      await writer.stop({ drain: true, timeoutMillis: remaining() });
      if (wal.pendingBytes > 0) log(`shutdown: ${wal.pendingBytes} bytes not yet in ClickHouse stay in the log`);
      await wal.close();
      await store.close();
    })();
    return closing;
  };

  return {
    config,
    store,
    httpPort,
    grpcPort,
    httpUrl: `http://${urlHost(config.host)}:${httpPort}`,
    grpcAddress: `${urlHost(config.host)}:${grpcPort}`,
    sqlPort,
    sqlUrl: sqlPort >= 0 ? `http://${urlHost(config.host)}:${sqlPort}` : undefined,
    writer,
    metrics,
    summaries,
    retention,
    flush,
    close,
  };
}
