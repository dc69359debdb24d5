/** `trajectories serve`: run the receiver until SIGINT/SIGTERM, then stop accepting and store what was acknowledged. */
import type { Command } from 'commander';
import { startReceiver } from '../collector/receiver.ts';
import { environmentNames } from '../collector/config.ts';

export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the OTLP receiver (HTTP + gRPC) and the HTTP API, storing spans in ClickHouse')
    .option('--host <host>', `interface to listen on (${environmentNames.host.join(', ')}) [default: 127.0.0.1]`)
    .option('--http-port <port>', `OTLP/HTTP and API port (${environmentNames.httpPort.join(', ')}) [default: 4318]`)
    .option('--grpc-port <port>', `OTLP/gRPC port, -1 to disable (${environmentNames.grpcPort.join(', ')}) [default: 4317]`)
    .option('--data-dir <dir>', `embedded ClickHouse data and write-ahead log (${environmentNames.dataDir.join(', ')}) [default: ./data]`)
    .option('--clickhouse-url <url>', `use a ClickHouse server instead of the embedded one (${environmentNames.clickhouseUrl.join(', ')})`)
    .option('--database <name>', `ClickHouse database (${environmentNames.database.join(', ')}) [default: trajectories]`)
    .option('--cluster <name>', `ClickHouse cluster for ON CLUSTER DDL and Replicated tables (${environmentNames.cluster.join(', ')})`)
    .option('--auth-tokens <file>', `YAML file mapping bearer tokens to tenants (${environmentNames.authTokensFile.join(', ')}; inline: TRAJECTORIES_AUTH_TOKENS=token=tenant,...)`)
    .option('--max-request-bytes <n>', `largest request body after decompression (${environmentNames.maxRequestBytes.join(', ')}) [default: 33554432]`)
    .option('--max-attribute-bytes <n>', `largest attribute value; larger spans are rejected (${environmentNames.maxAttributeBytes.join(', ')}) [default: 4194304]`)
    .option('--wal-sync <mode>', `fsync (survives power loss) or none (survives process crashes) (${environmentNames.walSync.join(', ')}) [default: fsync]`)
    .option('--quiet-seconds <n>', `a trajectory is complete after this long without new spans (${environmentNames.quietSeconds.join(', ')}) [default: 60]`)
    .option('--embeddings-url <url>', `OpenAI-compatible embeddings endpoint to rank trajectory search (${environmentNames.embeddingsUrl.join(', ')}; key: TRAJECTORIES_EMBEDDINGS_API_KEY)`)
    .option('--embeddings-model <name>', `embedding model (${environmentNames.embeddingsModel.join(', ')}) [default: text-embedding-3-small]`)
    .option('--jobs <file>', `YAML file of scheduled export jobs (${environmentNames.jobsFile.join(', ')})`)
    .action(async (options: Record<string, string | undefined>) => {
      const receiver = await startReceiver(
        {
          host: options['host'],
          httpPort: options['httpPort'] as unknown as number | undefined,
          grpcPort: options['grpcPort'] as unknown as number | undefined,
          dataDir: options['dataDir'],
          clickhouseUrl: options['clickhouseUrl'],
          database: options['database'],
          cluster: options['cluster'],
          authTokensFile: options['authTokens'],
          maxRequestBytes: options['maxRequestBytes'] as unknown as number | undefined,
          maxAttributeBytes: options['maxAttributeBytes'] as unknown as number | undefined,
          walSync: options['walSync'] as 'fsync' | 'none' | undefined,
          quietSeconds: options['quietSeconds'] as unknown as number | undefined,
          jobsFile: options['jobs'],
          embeddingsUrl: options['embeddingsUrl'],
          embeddingsModel: options['embeddingsModel'],
        },
        process.env,
      );
      const store = receiver.store.embedded ? `embedded ClickHouse in ${receiver.config.dataDir}` : 'ClickHouse server';
      console.log(`trajectories receiver ready (${store})`);
      console.log(`  OTLP/HTTP  ${receiver.httpUrl}   (OTEL_EXPORTER_OTLP_ENDPOINT=${receiver.httpUrl})`);
      if (receiver.grpcPort >= 0) console.log(`  OTLP/gRPC  ${receiver.grpcAddress}`);
      console.log(`  API        ${receiver.httpUrl}/v1/trajectories`);
      const shutdown = async (signal: string) => {
        console.log(`\n${signal}: storing acknowledged spans and shutting down...`);
        await receiver.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void shutdown('SIGINT'));
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
    });
}
