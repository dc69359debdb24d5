/**
 * `trajectories export --format F --out PATH [filters]`: one export, written atomically. Reads through the
 * receiver's API by default (the receiver owns the embedded store), or directly from `--clickhouse-url`, or from
 * `--data-dir` when no receiver holds that directory. Prints a summary (records, trajectories, bytes, skipped
 * with reasons) and exits non-zero on failure.
 */
import type { Command } from 'commander';
import { formatNames, getExportFormat } from '../src/exporters/formats/index.ts';
import { exportTrajectories, type ExportSummary } from '../src/exporters/run-export.ts';
import { apiTrajectorySource, parseHeaderList, storeTrajectorySource, type TrajectorySource } from '../src/exporters/trajectory-source.ts';
import { parquetConverterFor } from '../src/exporters/writers/parquet-converter.ts';
import { encodingForPath, outputEncodings, type OutputEncoding } from '../src/exporters/writers/record-writer.ts';
import type { Store } from '../src/store/client.ts';
import { openMigratedStore } from '../src/store/migrate.ts';
import { addFilterOptions, addFormatOptions, filtersFromOptions, formatOptionsFromOptions } from './export-options.ts';
import { createProgressBar } from './progress-bar.ts';

export const defaultReceiverUrl = 'http://127.0.0.1:4318';

export interface SourceOptions {
  receiver?: string | undefined;
  token?: string | undefined;
  clickhouseUrl?: string | undefined;
  dataDir?: string | undefined;
  tenant?: string | undefined;
}

/** Opens the trajectory source the options name; `store` is set when this process opened one. */
export async function openTrajectorySource(options: SourceOptions, environment: NodeJS.ProcessEnv): Promise<{ source: TrajectorySource; store?: Store; describe: string }> {
  const clickhouseUrl = options.clickhouseUrl ?? environment['TRAJECTORIES_CLICKHOUSE_URL'];
  if (clickhouseUrl || options.dataDir) {
    const store = await openMigratedStore({ dataDir: options.dataDir ?? './data', clickhouseUrl, database: environment['TRAJECTORIES_DATABASE'] });
    const tenant = options.tenant ?? 'default';
    return { source: storeTrajectorySource(store.client, tenant), store, describe: clickhouseUrl ? 'ClickHouse server' : `data directory ${options.dataDir}` };
  }
  if (options.tenant) throw new Error('--tenant applies to --clickhouse-url / --data-dir; through the receiver the tenant is the one of --token');
  const url = options.receiver ?? environment['TRAJECTORIES_RECEIVER_URL'] ?? defaultReceiverUrl;
  const headers = parseHeaderList(environment['OTEL_EXPORTER_OTLP_HEADERS']);
  const source = apiTrajectorySource({ url, token: options.token ?? environment['TRAJECTORIES_TOKEN'], headers });
  return { source, describe: `receiver ${url}` };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function printSummary(summary: ExportSummary, log: (line: string) => void = console.log): void {
  log(`wrote ${summary.path} (${summary.format}, ${summary.encoding})`);
  log(`  records       ${summary.records}`);
  log(`  trajectories  ${summary.trajectories}`);
  log(`  bytes         ${summary.bytes} (${formatBytes(summary.bytes)})`);
  const skipped = summary.skipped.length;
  log(`  skipped       ${skipped}${skipped > 0 ? ':' : ''}`);
  for (const { reason, count } of summary.skippedByReason) log(`    ${String(count).padStart(6)}  ${reason}`);
}

export function addExportCommand(program: Command): void {
  const command = program
    .command('export')
    .description('write trajectories as training data for ART, Agent Lightning, OpenAI, TRL or Fireworks')
    .requiredOption('--format <format>', `output format: ${formatNames.join(', ')}`)
    .requiredOption('--out <path>', 'output file (written atomically; .jsonl, .jsonl.gz or .parquet)')
    .option('--output-format <encoding>', `${outputEncodings.join(', ')} [default: from the file name]`)
    .option('--limit <n>', 'at most this many trajectories')
    .option('--tenant <tenant>', 'tenant (with --clickhouse-url / --data-dir) [default: default]')
    .option('--receiver <url>', `receiver to export through (TRAJECTORIES_RECEIVER_URL) [default: ${defaultReceiverUrl}]`)
    .option('--token <token>', 'bearer token for the receiver (TRAJECTORIES_TOKEN, or Authorization in OTEL_EXPORTER_OTLP_HEADERS)')
    .option('--clickhouse-url <url>', 'read directly from a ClickHouse server (TRAJECTORIES_CLICKHOUSE_URL)')
    .option('--data-dir <dir>', 'read directly from an embedded data directory that no receiver holds');
  addFilterOptions(command);
  addFormatOptions(command);
  command.action(async (options: Record<string, unknown>) => {
    const format = getExportFormat(String(options['format']));
    const out = String(options['out']);
    const encoding = (options['outputFormat'] as OutputEncoding | undefined) ?? encodingForPath(out);
    if (!(outputEncodings as readonly string[]).includes(encoding)) throw new Error(`--output-format ${JSON.stringify(encoding)}: one of ${outputEncodings.join(', ')}`);
    const limitText = options['limit'] as string | undefined;
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new Error(`--limit ${JSON.stringify(limitText)} is not a positive integer`);
    const filters = filtersFromOptions(options);
    const formatOptions = formatOptionsFromOptions(options);
    const { source, store } = await openTrajectorySource(
      {
        receiver: options['receiver'] as string | undefined,
        token: options['token'] as string | undefined,
        clickhouseUrl: options['clickhouseUrl'] as string | undefined,
        dataDir: options['dataDir'] as string | undefined,
        tenant: options['tenant'] as string | undefined,
      },
      process.env,
    );
    const progress = createProgressBar();
    try {
      const summary = await exportTrajectories({
        source,
        format,
        options: formatOptions,
        filters,
        limit,
        out,
        encoding,
        parquetConverter: encoding === 'parquet' ? parquetConverterFor(store) : undefined,
        onProgress: (state) => progress.update(state.trajectoriesDone, state.trajectoriesTotal, `${state.records} records`),
      });
      progress.finish();
      printSummary(summary);
      if (summary.records === 0) console.error('trajectories: warning: no records were exported (see skipped reasons and filters)');
    } finally {
      progress.finish();
      await store?.close();
    }
  });
}
