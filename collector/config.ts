/**
 * Receiver configuration, merged in one place: command-line value ?? environment variable ?? default, then
 * validated with a message that shows the bad value and where it came from.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

const byteSize = z.coerce.number().int().positive();
const port = z.coerce.number().int().min(0).max(65535);

export const receiverConfigSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  httpPort: port.default(4318),
  /** 0 picks a free port; -1 disables OTLP/gRPC. */
  grpcPort: z.coerce.number().int().min(-1).max(65535).default(4317),
  dataDir: z.string().min(1).default('./data'),
  clickhouseUrl: z.string().url().optional(),
  database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('trajectories'),
  cluster: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
  /** YAML/JSON file mapping bearer token -> tenant. */
  authTokensFile: z.string().optional(),
  /** Inline `token=tenant,...`. */
  authTokens: z.string().optional(),
  /** Largest request body, checked after decompression. */
  maxRequestBytes: byteSize.default(32 * 1024 * 1024),
  /** Largest single attribute / event / log body value; larger ones reject their span (partial success). */
  maxAttributeBytes: byteSize.default(4 * 1024 * 1024),
  /** Backlog waiting for ClickHouse above which the receiver answers 429 / RESOURCE_EXHAUSTED. */
  maxPendingBytes: byteSize.default(256 * 1024 * 1024),
  /** Backlog kept on disk while ClickHouse is down, above which the receiver answers 503 / UNAVAILABLE. */
  maxLogBytes: byteSize.default(2 * 1024 * 1024 * 1024),
  /** Request bodies held in memory at once, above which new requests get 429 before being read. */
  maxInflightBytes: byteSize.default(256 * 1024 * 1024),
  walSync: z.enum(['fsync', 'none']).default('fsync'),
  /** How long the store writer waits for a batch to fill before inserting a smaller one. */
  batchLingerMillis: z.coerce.number().int().nonnegative().default(50),
  /** Seconds without a new span after which a trajectory counts as complete. */
  quietSeconds: z.coerce.number().nonnegative().default(60),
  /** Discount factor of the discounted and AIR-shaped returns (credit view). */
  gamma: z.coerce.number().min(0).max(1).default(0.99),
  /** OpenAI-compatible embeddings endpoint (base URL) for ranking trajectory search; n-gram similarity without it. */
  embeddingsUrl: z.string().url().optional(),
  embeddingsModel: z.string().min(1).default('text-embedding-3-small'),
  embeddingsApiKey: z.string().optional(),
  /** YAML file of scheduled export jobs. */
  jobsFile: z.string().optional(),
});

export type ReceiverConfig = z.infer<typeof receiverConfigSchema>;
export type ReceiverOptions = z.input<typeof receiverConfigSchema>;

/** Environment variables for each option (the first one set wins). */
export const environmentNames: Record<keyof ReceiverConfig, string[]> = {
  host: ['TRAJECTORIES_HOST'],
  httpPort: ['TRAJECTORIES_HTTP_PORT'],
  grpcPort: ['TRAJECTORIES_GRPC_PORT'],
  dataDir: ['TRAJECTORIES_DATA_DIR'],
  clickhouseUrl: ['TRAJECTORIES_CLICKHOUSE_URL', 'CLICKHOUSE_URL'],
  database: ['TRAJECTORIES_DATABASE'],
  cluster: ['TRAJECTORIES_CLICKHOUSE_CLUSTER'],
  authTokensFile: ['TRAJECTORIES_AUTH_TOKENS_FILE'],
  authTokens: ['TRAJECTORIES_AUTH_TOKENS'],
  maxRequestBytes: ['TRAJECTORIES_MAX_REQUEST_BYTES'],
  maxAttributeBytes: ['TRAJECTORIES_MAX_ATTRIBUTE_BYTES'],
  maxPendingBytes: ['TRAJECTORIES_MAX_PENDING_BYTES'],
  maxLogBytes: ['TRAJECTORIES_MAX_LOG_BYTES'],
  maxInflightBytes: ['TRAJECTORIES_MAX_INFLIGHT_BYTES'],
  walSync: ['TRAJECTORIES_WAL_SYNC'],
  batchLingerMillis: ['TRAJECTORIES_BATCH_LINGER_MS'],
  quietSeconds: ['TRAJECTORIES_QUIET_SECONDS'],
  gamma: ['TRAJECTORIES_GAMMA'],
  jobsFile: ['TRAJECTORIES_JOBS_FILE'],
  embeddingsUrl: ['TRAJECTORIES_EMBEDDINGS_URL'],
  embeddingsModel: ['TRAJECTORIES_EMBEDDINGS_MODEL'],
  embeddingsApiKey: ['TRAJECTORIES_EMBEDDINGS_API_KEY'],
};

export function resolveReceiverConfig(options: ReceiverOptions, environment: NodeJS.ProcessEnv = {}): ReceiverConfig {
  const merged: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const [key, names] of Object.entries(environmentNames)) {
    const given = (options as Record<string, unknown>)[key];
    if (given !== undefined) {
      merged[key] = given;
      origin[key] = `option ${key}`;
      continue;
    }
    const name = names.find((candidate) => environment[candidate] !== undefined && environment[candidate] !== '');
    if (name) {
      merged[key] = environment[name];
      origin[key] = `environment variable ${name}`;
    }
  }
  const parsed = receiverConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      return `${origin[key] ?? key} = ${JSON.stringify(merged[key])}: ${issue.message}`;
    });
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.dataDir) };
}
