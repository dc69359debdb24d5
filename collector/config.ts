/**
 * Receiver configuration, merged in one place: command-line value ?? environment variable ?? default, then
 * validated with a message that shows the bad value and where it came from. The option table below is the one
 * definition of every setting: `trajectories serve` registers its flags and help from it, and the README's
 * configuration table is checked against it.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import {
  describedAs,
  type OptionInputs,
  type OptionTable,
  type OptionValues,
} from '../src/config/option-definition.ts';
import { resolveOptions } from '../src/config/resolve-options.ts';
import { storeLocationOptions } from '../src/config/store-location-options.ts';
import { parseProxyUpstreams } from './proxy/proxy-upstreams.ts';
import { parseRetentionByTenant } from './retention/retention-sweeper.ts';

const byteSize = z.coerce.number().int().positive();
const port = z.coerce.number().int().min(0).max(65535);

export const receiverOptions = {
  host: {
    flag: '--host <host>',
    environment: ['TRAJECTORIES_HOST'],
    schema: z.string().min(1).default('127.0.0.1'),
    description: 'interface to listen on (0.0.0.0 for all)',
  },
  httpPort: {
    flag: '--http-port <port>',
    environment: ['TRAJECTORIES_HTTP_PORT'],
    schema: port.default(4318),
    description: 'OTLP/HTTP and JSON API port (0 picks a free one)',
  },
  grpcPort: {
    flag: '--grpc-port <port>',
    environment: ['TRAJECTORIES_GRPC_PORT'],
    schema: z.coerce.number().int().min(-1).max(65535).default(4317),
    description: 'OTLP/gRPC port, -1 disables OTLP/gRPC',
  },
  sqlPort: {
    flag: '--sql-port <port>',
    environment: ['TRAJECTORIES_SQL_PORT'],
    schema: z.coerce.number().int().min(-1).max(65535).optional(),
    description:
      'read-only ClickHouse HTTP interface for SQL; unset: 8123 on the embedded store (skipped with a warning when taken), off with --clickhouse-url; -1 disables',
  },
  sqlMaxExecutionSeconds: {
    environment: ['TRAJECTORIES_SQL_MAX_EXECUTION_SECONDS'],
    schema: z.coerce.number().int().positive().default(30),
    description: 'longest a query on the SQL port runs before it is stopped',
  },
  sqlMaxMemoryBytes: {
    environment: ['TRAJECTORIES_SQL_MAX_MEMORY_BYTES'],
    schema: byteSize.default(2 * 1024 * 1024 * 1024),
    description: 'most memory a query on the SQL port may use',
  },
  sqlMaxResultRows: {
    environment: ['TRAJECTORIES_SQL_MAX_RESULT_ROWS'],
    schema: z.coerce.number().int().positive().default(1_000_000),
    description: 'most rows a query on the SQL port returns (an error above, not a cut result)',
  },
  sqlMaxResultBytes: {
    environment: ['TRAJECTORIES_SQL_MAX_RESULT_BYTES'],
    schema: byteSize.default(256 * 1024 * 1024),
    description: 'most bytes of rows a query on the SQL port returns (an error above)',
  },
  dataDir: describedAs(storeLocationOptions.dataDir, 'embedded ClickHouse data, write-ahead log and dead-letter file'),
  clickhouseUrl: storeLocationOptions.clickhouseUrl,
  database: storeLocationOptions.database,
  cluster: storeLocationOptions.cluster,
  authTokensFile: {
    flag: '--auth-tokens <file>',
    environment: ['TRAJECTORIES_AUTH_TOKENS_FILE'],
    schema: z.string().optional(),
    description: 'YAML/JSON file mapping bearer tokens to tenants',
  },
  authTokens: {
    environment: ['TRAJECTORIES_AUTH_TOKENS'],
    schema: z.string().optional(),
    description: 'bearer tokens inline: token=tenant,token2=tenant2',
  },
  maxRequestBytes: {
    flag: '--max-request-bytes <n>',
    environment: ['TRAJECTORIES_MAX_REQUEST_BYTES'],
    schema: byteSize.default(32 * 1024 * 1024),
    description: 'largest request body, checked after decompression (413 above)',
  },
  maxAttributeBytes: {
    flag: '--max-attribute-bytes <n>',
    environment: ['TRAJECTORIES_MAX_ATTRIBUTE_BYTES'],
    schema: byteSize.default(4 * 1024 * 1024),
    description: 'largest single attribute / event / log body value; a larger one rejects its span (partial success)',
  },
  maxPendingBytes: {
    environment: ['TRAJECTORIES_MAX_PENDING_BYTES'],
    schema: byteSize.default(256 * 1024 * 1024),
    description: 'backlog waiting for ClickHouse above which the receiver answers 429 / RESOURCE_EXHAUSTED',
  },
  maxLogBytes: {
    environment: ['TRAJECTORIES_MAX_LOG_BYTES'],
    schema: byteSize.default(2 * 1024 * 1024 * 1024),
    description: 'backlog kept on disk while ClickHouse is down, above which the receiver answers 503 / UNAVAILABLE',
  },
  maxInflightBytes: {
    environment: ['TRAJECTORIES_MAX_INFLIGHT_BYTES'],
    schema: byteSize.default(256 * 1024 * 1024),
    description: 'request bodies held in memory at once, above which new requests get 429 before being read',
  },
  headersTimeoutMillis: {
    environment: ['TRAJECTORIES_HEADERS_TIMEOUT_MS'],
    schema: z.coerce.number().int().positive().default(10_000),
    description:
      "longest wait for an HTTP request's headers, from its first byte (408 and the connection closed after)",
  },
  bodyIdleTimeoutMillis: {
    environment: ['TRAJECTORIES_BODY_IDLE_TIMEOUT_MS'],
    schema: z.coerce.number().int().positive().default(15_000),
    description:
      'longest pause between two chunks of an OTLP body (HTTP: 408 and the connection closed; gRPC: DEADLINE_EXCEEDED)',
  },
  requestTimeoutMillis: {
    environment: ['TRAJECTORIES_REQUEST_TIMEOUT_MS'],
    schema: z.coerce.number().int().positive().default(120_000),
    description: 'longest time to receive a whole request, headers and body (HTTP 408; gRPC DEADLINE_EXCEEDED)',
  },
  maxConnections: {
    environment: ['TRAJECTORIES_MAX_CONNECTIONS'],
    schema: z.coerce.number().int().positive().default(1024),
    description: 'open connections per port (HTTP, gRPC) above which new ones are closed on accept',
  },
  minFreeBytes: {
    environment: ['TRAJECTORIES_MIN_FREE_BYTES'],
    schema: byteSize.optional(),
    description:
      'free space kept on the disk under the write-ahead log for ClickHouse to drain it; below it ingest answers 503 (default 256 MiB, or 5% of a smaller filesystem)',
  },
  maxDeadLetterBytes: {
    environment: ['TRAJECTORIES_MAX_DEAD_LETTER_BYTES'],
    schema: byteSize.default(1024 * 1024 * 1024),
    description: 'largest dead-letter file; rows ClickHouse refuses past it are counted and logged as dropped',
  },
  maxReadSpans: {
    environment: ['TRAJECTORIES_MAX_READ_SPANS'],
    schema: z.coerce.number().int().positive().default(50_000),
    description: 'most spans one trajectory or trace read serves (422 above, naming the paged trace read)',
  },
  walSync: {
    flag: '--wal-sync <mode>',
    environment: ['TRAJECTORIES_WAL_SYNC'],
    schema: z.enum(['fsync', 'none']).default('fsync'),
    description: 'fsync: an acknowledgement survives power loss; none: it survives process crashes',
  },
  batchLingerMillis: {
    environment: ['TRAJECTORIES_BATCH_LINGER_MS'],
    schema: z.coerce.number().int().nonnegative().default(50),
    description: 'how long the store writer waits for a batch to fill before inserting a smaller one',
  },
  quietSeconds: {
    flag: '--quiet-seconds <n>',
    environment: ['TRAJECTORIES_QUIET_SECONDS'],
    schema: z.coerce.number().nonnegative().default(60),
    description: 'a trajectory is complete once its root ended and no span arrived for this many seconds',
  },
  stitchWindowSeconds: {
    flag: '--stitch-window-seconds <n>',
    environment: ['TRAJECTORIES_STITCH_WINDOW_SECONDS'],
    schema: z.coerce.number().nonnegative().default(300),
    description:
      'agent-less model calls up to this many seconds apart are stitched into one conversation trajectory, which is complete only after this long',
  },
  gamma: {
    environment: ['TRAJECTORIES_GAMMA'],
    schema: z.coerce.number().min(0).max(1).default(0.99),
    description: 'discount factor of the discounted and AIR-shaped returns (credit view)',
  },
  embeddingsUrl: {
    flag: '--embeddings-url <url>',
    environment: ['TRAJECTORIES_EMBEDDINGS_URL'],
    schema: z.url().optional(),
    description:
      'OpenAI-compatible embeddings endpoint (base URL) that ranks trajectory search; n-gram similarity without it',
  },
  embeddingsModel: {
    flag: '--embeddings-model <name>',
    environment: ['TRAJECTORIES_EMBEDDINGS_MODEL'],
    schema: z.string().min(1).default('text-embedding-3-small'),
    description: 'embedding model sent to that endpoint',
  },
  embeddingsApiKey: {
    environment: ['TRAJECTORIES_EMBEDDINGS_API_KEY'],
    schema: z.string().optional(),
    description: 'API key of the embeddings endpoint',
  },
  jobsFile: {
    flag: '--jobs <file>',
    environment: ['TRAJECTORIES_JOBS_FILE'],
    schema: z.string().optional(),
    description: 'YAML file of scheduled export jobs',
  },
  retentionDays: {
    flag: '--retention-days <n>',
    environment: ['TRAJECTORIES_RETENTION_DAYS'],
    schema: z.coerce.number().int().positive().optional(),
    description: 'delete traces whose newest span is older than this many days (checked hourly); unset keeps data',
  },
  retentionDaysByTenant: {
    environment: ['TRAJECTORIES_RETENTION_DAYS_BY_TENANT'],
    schema: z
      .string()
      .optional()
      .superRefine((text, context) => {
        try {
          parseRetentionByTenant(text);
        } catch (error) {
          context.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }),
    description: 'per-tenant retention overriding --retention-days: tenant=days,tenant2=forever',
  },
  pricesFile: {
    flag: '--prices <file>',
    environment: ['TRAJECTORIES_PRICES_FILE'],
    schema: z.string().optional(),
    description: 'YAML file of model prices (USD per million tokens) laid over the shipped table, for analytics cost',
  },
  proxyUpstreams: {
    flag: '--proxy-upstream <name=url,...>',
    environment: ['TRAJECTORIES_PROXY_UPSTREAMS'],
    schema: z
      .string()
      .optional()
      .superRefine((text, context) => {
        try {
          if (text !== undefined) parseProxyUpstreams(text);
        } catch (error) {
          context.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }),
    description:
      'LLM proxy upstreams: name=base-url,... (e.g. openai=https://api.openai.com,anthropic=https://api.anthropic.com); /proxy/<name>/v1/... forwards there and records the call',
  },
  proxyTimeoutMillis: {
    flag: '--proxy-timeout-ms <n>',
    environment: ['TRAJECTORIES_PROXY_TIMEOUT_MS'],
    schema: z.coerce.number().int().positive().default(600_000),
    description:
      'longest the LLM proxy waits for the upstream to send anything (headers or the next bytes) before giving up',
  },
  proxyFailClosed: {
    flag: '--proxy-fail-closed',
    environment: ['TRAJECTORIES_PROXY_FAIL_CLOSED'],
    schema: z.union([z.boolean(), z.stringbool()]).default(false),
    description:
      'refuse LLM proxy calls (503) while their recording would be refused, instead of forwarding them unrecorded',
  },
  insecure: {
    flag: '--insecure',
    environment: ['TRAJECTORIES_INSECURE'],
    schema: z.union([z.boolean(), z.stringbool()]).default(false),
    description: 'listen on a non-loopback host without auth tokens, open to anyone who can reach it',
  },
  allowedHosts: {
    flag: '--allowed-hosts <names>',
    environment: ['TRAJECTORIES_ALLOWED_HOSTS'],
    schema: z.string().optional(),
    description:
      'comma-separated Host names the JSON API answers besides the listen host, localhost, 127.0.0.1 and [::1]',
  },
  shutdownGraceSeconds: {
    flag: '--shutdown-grace-seconds <n>',
    environment: ['TRAJECTORIES_SHUTDOWN_GRACE_SECONDS'],
    schema: z.coerce.number().positive().default(30),
    description:
      'on SIGTERM/SIGINT, time to finish requests and store the log before exiting (the rest is replayed on the next start)',
  },
} satisfies OptionTable;

export type ReceiverConfig = OptionValues<typeof receiverOptions>;
export type ReceiverOptions = OptionInputs<typeof receiverOptions>;

/**
 * `givenAs: 'flag'` names given values by their flag in errors (`flag --http-port = "abc"`); code that embeds
 * the receiver gets `option httpPort`.
 */
export function resolveReceiverConfig(
  options: ReceiverOptions,
  environment: NodeJS.ProcessEnv = {},
  givenAs: 'flag' | 'option' = 'option',
): ReceiverConfig {
  const { values } = resolveOptions({ table: receiverOptions, given: options, environment, givenAs });
  return { ...values, dataDir: resolve(values.dataDir) };
}
