/**
 * `npm run bench`: every benchmark prints its measurement beside a baseline measured in the same run (machines
 * here are noisy, so ratios are what to compare). `npm run bench -- ingest` runs one suite.
 *
 * Each suite runs in its own process: libchdb binds one data directory per process, and suites open their own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatResults, type BenchResult } from './report.ts';

const suites: Record<string, { file: string; exportName: string }> = {
  ingest: { file: './ingest.ts', exportName: 'benchIngest' },
  'agent-loop': { file: './agent-loop.ts', exportName: 'benchAgentLoop' },
  'summary-lag': { file: './summary-lag.ts', exportName: 'benchSummaryLag' },
  instrumentation: { file: './instrumentation-overhead.ts', exportName: 'benchInstrumentationOverhead' },
  trajectories: { file: './trajectory-queries.ts', exportName: 'benchTrajectoryQueries' },
  export: { file: './export-throughput.ts', exportName: 'benchExportThroughput' },
  reliability: { file: './reliability.ts', exportName: 'benchReliability' },
  context: { file: './context-suite.ts', exportName: 'benchContext' },
  proxy: { file: './proxy-latency.ts', exportName: 'benchProxyLatency' },
};

const resultMarker = 'BENCH_RESULTS ';
const childSuite = process.env['TRAJECTORIES_BENCH_SUITE'];

if (childSuite) {
  const suite = suites[childSuite]!;
  const module = (await import(new URL(suite.file, import.meta.url).href)) as Record<
    string,
    () => Promise<BenchResult[]>
  >;
  const results = await module[suite.exportName]!();
  process.stdout.write(`${resultMarker}${JSON.stringify(results)}\n`);
  // A suite whose measurement breaks a promise (the reliability suite's lost spans) sets the exit code itself.
  process.exit(process.exitCode ?? 0);
}

const selected = process.argv.slice(2).filter((argument) => !argument.startsWith('-'));
const runner = fileURLToPath(new URL('../bin/run-ts.mjs', import.meta.url));
let failed = false;
for (const [name, suite] of Object.entries(suites)) {
  if (selected.length > 0 && !selected.includes(name)) continue;
  if (!existsSync(new URL(suite.file, import.meta.url))) continue;
  process.stderr.write(`\n[bench] ${name}\n`);
  const child = spawnSync(process.execPath, [runner, fileURLToPath(import.meta.url)], {
    env: { ...process.env, TRAJECTORIES_BENCH_SUITE: name },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = child.stdout.split('\n').find((candidate) => candidate.startsWith(resultMarker));
  if (!line) {
    failed = true;
    console.log(`\n## ${name}\nFAILED (exit ${child.status})\n${child.stdout}`);
    continue;
  }
  console.log(formatResults(name, JSON.parse(line.slice(resultMarker.length)) as BenchResult[]));
  if (child.status !== 0) {
    failed = true;
    console.log(`FAILED (exit ${child.status}): see the results above`);
  }
}
process.exit(failed ? 1 : 0);
