/**
 * `trajectories export --format F --out PATH [filters]`: one export, written atomically. Reads through the
 * receiver's API by default (the receiver owns the embedded store), or directly from the store when a store
 * location is given by flag or environment (see read-location.ts). Prints a summary (records, trajectories,
 * bytes, skipped with reasons) and exits non-zero on failure.
 */
import type { Command } from 'commander';
import { getExportFormat } from '../src/exporters/formats/index.ts';
import { exportTrajectories, type ExportSummary } from '../src/exporters/run-export.ts';
import {
  apiTrajectorySource,
  storeTrajectorySource,
  type TrajectorySource,
} from '../src/exporters/trajectory-source.ts';
import { parquetConverterFor } from '../src/exporters/writers/parquet-converter.ts';
import { encodingForPath } from '../src/exporters/writers/record-writer.ts';
import type { OptionTable } from '../src/config/option-definition.ts';
import type { Store } from '../src/store/client.ts';
import { addOptions, resolveFlags } from './command-options.ts';
import {
  filterOptions,
  filtersFromOptions,
  formatOptions,
  formatOptionsFromOptions,
  outputOptions,
} from './export-options.ts';
import { createProgressBar } from './progress-bar.ts';
import { chooseReadLocation, openReadStore, readLocationOptions, type ReadLocation } from './read-location.ts';

export const exportOptions = {
  ...outputOptions,
  ...readLocationOptions,
  ...filterOptions,
  ...formatOptions,
} satisfies OptionTable;

/** Opens the trajectory source at `location`; `store` is set when this process opened one. */
async function openTrajectorySource(
  location: ReadLocation,
  tenant: { name: string; given: boolean },
): Promise<{ source: TrajectorySource; store?: Store }> {
  if (location.kind === 'store') {
    const store = await openReadStore(location, 'export');
    return { source: storeTrajectorySource(store.client, tenant.name), store };
  }
  if (tenant.given)
    throw new Error(
      '--tenant applies when reading a store directly (--clickhouse-url / --data-dir); through the receiver the tenant is the one of --token',
    );
  return { source: apiTrajectorySource({ url: location.url, token: location.token, headers: location.headers }) };
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
    .description('write trajectories as training data for ART, Agent Lightning, OpenAI, TRL or Fireworks');
  addOptions(command, exportOptions).action(async (parsed: Record<string, unknown>) => {
    const resolved = resolveFlags(exportOptions, parsed, process.env);
    const { values, origins } = resolved;
    const format = getExportFormat(values.format);
    const encoding = values.outputFormat ?? encodingForPath(values.out);
    const filters = filtersFromOptions(values);
    const options = formatOptionsFromOptions(values);
    const { source, store } = await openTrajectorySource(chooseReadLocation(resolved), {
      name: values.tenant,
      given: origins.tenant.source !== 'default',
    });
    const progress = createProgressBar();
    try {
      const summary = await exportTrajectories({
        source,
        format,
        options,
        filters,
        limit: values.limit,
        out: values.out,
        encoding,
        parquetConverter: encoding === 'parquet' ? parquetConverterFor(store) : undefined,
        onProgress: (state) =>
          progress.update(state.trajectoriesDone, state.trajectoriesTotal, `${state.records} records`),
      });
      progress.finish();
      printSummary(summary);
      if (summary.records === 0)
        console.error('trajectories: warning: no records were exported (see skipped reasons and filters)');
    } finally {
      progress.finish();
      await store?.close();
    }
  });
}
