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
    if (receiver.sqlUrl) console.log(`  SQL        ${receiver.sqlUrl}   (ClickHouse HTTP interface, read-only)`);
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) {
        // A second signal: the operator will not wait. What is not stored yet is in the log and replayed on start.
        console.log(`${signal} again: exiting now; the write-ahead log keeps what is not stored yet`);
        process.exit(130);
      }
      stopping = true;
      const graceMillis = receiver.config.shutdownGraceSeconds * 1000;
      console.log(
        `\n${signal}: closing connections and storing acknowledged spans (up to ${receiver.config.shutdownGraceSeconds} s)...`,
      );
      // close() keeps to the grace period by itself; this is the backstop if a store call hangs past it.
      setTimeout(() => {
        console.error('trajectories: shutdown overran its grace period; exiting, the write-ahead log replays on start');
        process.exit(1);
      }, graceMillis + 5_000).unref();
      await receiver.close();
      console.log('stopped');
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
  });
}
