/**
 * `trajectories serve`: run the receiver until SIGINT/SIGTERM, then stop accepting and store what was
 * acknowledged. Its flags, their help and their resolution all come from the receiver's option table.
 */
import type { Command } from 'commander';
import { startReceiver } from '../collector/receiver.ts';
import { receiverOptions, resolveReceiverConfig } from '../collector/config.ts';
import { addOptions, flagValues } from './command-options.ts';

export function addServeCommand(program: Command): void {
  const command = program
    .command('serve')
    .description('run the OTLP receiver (HTTP + gRPC) and the HTTP API, storing spans in ClickHouse');
  addOptions(command, receiverOptions).action(async (options: Record<string, unknown>) => {
    // Resolved here rather than inside startReceiver, so errors name the flag the user typed.
    const receiver = await startReceiver(
      resolveReceiverConfig(flagValues(receiverOptions, options), process.env, 'flag'),
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
