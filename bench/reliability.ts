/**
 * `npm run bench -- reliability`: the receiver's durability contract under crashes, and two reproductions that
 * other traffic must survive.
 *
 * - The kill -9 storm (bench/reliability-storm.ts): a receiver process killed with SIGKILL at random times under
 *   retrying OTLP/HTTP clients, restarted on the same data directory each time, then drained by a clean start.
 *   Prints acknowledged, stored, lost (must be 0), duplicates after FINAL (must be 0) and as stored (replay may
 *   create them until ClickHouse merges), recovery times, and the acknowledged rate beside the same run's rate
 *   without kills. The process exits non-zero if anything was lost or duplicated after FINAL.
 * - Scenarios, reported pass or fail without failing the run: spans in 120 months in one request
 *   (bench/reliability-month-spread.ts) and trickling request bodies (bench/reliability-trickling-bodies.ts).
 *
 * Options (environment): BENCH_RELIABILITY_KILLS (30), BENCH_RELIABILITY_CLIENTS (4),
 * BENCH_RELIABILITY_TRACES_PER_REQUEST (10, of 6 spans each), BENCH_RELIABILITY_UPTIME_MS ("500-4000": time after
 * ready before a kill), BENCH_RELIABILITY_STARTUP_KILL_EVERY (5: every fifth kill also kills the restart during
 * startup; 0 never), BENCH_RELIABILITY_BASELINE_SECONDS (5), BENCH_RELIABILITY_SEED (random; printed),
 * BENCH_RELIABILITY_SCENARIOS (1; 0 skips them), BENCH_RELIABILITY_SCENARIO_SECONDS (20: how long the traffic after
 * the 120-month request may take to be stored).
 */
import { z } from 'zod';
import { encodedAgentRequests } from './genai-spans.ts';
import { monthSpreadScenario } from './reliability-month-spread.ts';
import type { ScenarioVerdict } from './reliability-scenario.ts';
import { runStorm, type StormReport } from './reliability-storm.ts';
import { tricklingBodiesScenario } from './reliability-trickling-bodies.ts';
import { percentile, type BenchResult } from './report.ts';

const count = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);
const optionsSchema = z
  .object({
    BENCH_RELIABILITY_KILLS: count(30),
    BENCH_RELIABILITY_CLIENTS: z.coerce.number().int().positive().default(4),
    BENCH_RELIABILITY_TRACES_PER_REQUEST: z.coerce.number().int().positive().default(10),
    BENCH_RELIABILITY_UPTIME_MS: z
      .string()
      .regex(/^\d+-\d+$/, 'BENCH_RELIABILITY_UPTIME_MS is "min-max" in milliseconds, e.g. 500-4000')
      .default('500-4000')
      .transform((range) => {
        const [min, max] = range.split('-').map(Number) as [number, number];
        return { min: Math.min(min, max), max: Math.max(min, max) };
      }),
    BENCH_RELIABILITY_STARTUP_KILL_EVERY: count(5),
    BENCH_RELIABILITY_BASELINE_SECONDS: z.coerce.number().positive().default(5),
    BENCH_RELIABILITY_SEED: count(Math.floor(Math.random() * 2 ** 31)),
    BENCH_RELIABILITY_SCENARIOS: z.enum(['0', '1']).default('1'),
    BENCH_RELIABILITY_SCENARIO_SECONDS: z.coerce.number().positive().default(20),
  })
  .transform((environment) => ({
    kills: environment.BENCH_RELIABILITY_KILLS,
    clients: environment.BENCH_RELIABILITY_CLIENTS,
    tracesPerRequest: environment.BENCH_RELIABILITY_TRACES_PER_REQUEST,
    uptimeMillis: environment.BENCH_RELIABILITY_UPTIME_MS,
    startupKillEvery: environment.BENCH_RELIABILITY_STARTUP_KILL_EVERY,
    baselineSeconds: environment.BENCH_RELIABILITY_BASELINE_SECONDS,
    seed: environment.BENCH_RELIABILITY_SEED,
    scenarios: environment.BENCH_RELIABILITY_SCENARIOS === '1',
    scenarioSeconds: environment.BENCH_RELIABILITY_SCENARIO_SECONDS,
  }));

function readOptions() {
  const parsed = optionsSchema.safeParse(process.env);
  if (!parsed.success)
    throw new Error(
      `reliability bench options: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  return parsed.data;
}

const verdict = (passed: boolean) => (passed ? 'PASS' : 'FAIL');

function milliseconds(samples: (number | undefined)[]): { p50: number; max: number; missing: number } {
  const present = samples.filter((sample): sample is number => sample !== undefined);
  return {
    p50: Math.round(percentile(present, 0.5)),
    max: Math.round(Math.max(...present)),
    missing: samples.length - present.length,
  };
}

function stormResults(storm: StormReport): BenchResult[] {
  const { count } = storm;
  // The first start created the store (migrations) and followed no kill: not a recovery.
  const recoveries = storm.restarts.slice(1);
  const healthy = milliseconds(recoveries.map((restart) => restart.healthyMillis));
  const accepted = milliseconds(recoveries.map((restart) => restart.firstAcceptedMillis));
  const clients = storm.clientCounts;
  const retried = Object.entries(clients.retriedStatuses)
    .map(([status, times]) => `${times}x ${status}`)
    .join(', ');
  const rejected = Object.entries(clients.rejected)
    .map(([status, times]) => `${times}x ${status}`)
    .join(', ');
  return [
    {
      name: 'storm: kills (SIGKILL)',
      value: storm.killsAfterReady + storm.killsDuringStartup,
      unit: 'kills',
      note: `${storm.killsAfterReady} while serving, ${storm.killsDuringStartup} during startup; ${storm.failedStarts.length} starts crashed on their own; ${storm.stormSeconds.toFixed(0)} s`,
    },
    { name: 'storm: spans acknowledged (200)', value: count.acknowledged, unit: 'spans' },
    { name: 'storm: acknowledged spans stored', value: count.stored, unit: 'spans' },
    {
      name: 'storm: lost (acknowledged, not stored)',
      value: count.lost,
      unit: 'spans',
      note: `${verdict(count.lost === 0)}, must be 0; ${count.deadLetterRows} dead-letter rows${count.lostExamples.length > 0 ? `; e.g. ${count.lostExamples.join(' ')}` : ''}`,
    },
    {
      name: 'storm: duplicated after FINAL',
      value: count.finalDuplicates,
      unit: 'rows',
      note: `${verdict(count.finalDuplicates === 0)}, must be 0`,
    },
    {
      name: 'storm: duplicated as stored (no FINAL)',
      value: count.rawDuplicates,
      unit: 'rows',
      note: 'replayed or retried rows ClickHouse has not merged yet: allowed',
    },
    {
      name: 'storm: stored, never acknowledged',
      value: count.unacknowledgedStored,
      unit: 'spans',
      note: 'clients retry until acknowledged, so expected 0',
    },
    {
      name: 'recovery: restart to /healthz ok, p50',
      value: healthy.p50,
      unit: 'ms',
      note: `max ${healthy.max} ms over ${recoveries.length - healthy.missing} restarts${healthy.missing ? `, ${healthy.missing} never ok before the kill` : ''}`,
    },
    {
      name: 'recovery: restart to first accepted request, p50',
      value: accepted.p50,
      unit: 'ms',
      note: `max ${accepted.max} ms; clients back off 50-250 ms between attempts${accepted.missing ? `; ${accepted.missing} restarts accepted nothing before the kill` : ''}`,
    },
    {
      name: 'throughput: acknowledged under the storm',
      value: Math.round(storm.stormSpansPerSecond),
      unit: 'spans/s',
      baseline: Math.round(storm.baselineSpansPerSecond),
      ratio: storm.stormSpansPerSecond / storm.baselineSpansPerSecond,
      note: `baseline: the same clients before the first kill; ${clients.attempts} attempts, ${clients.connectionErrors} connection errors, retried ${retried || 'none'}, rejected ${rejected || 'none'}, ${clients.partialSuccessAnswers} partial successes`,
    },
    {
      name: 'final drain and clean stop',
      value: storm.drained && storm.stoppedCleanly ? 1 : 0,
      unit: 'ok',
      note: `${storm.drained ? 'log drained' : 'log NOT drained within 300 s'}, ${storm.stoppedCleanly ? 'stopped on SIGTERM' : 'did NOT stop within 120 s of SIGTERM'}; receiver log ${storm.logPath}`,
    },
  ];
}

function scenarioResult(scenario: ScenarioVerdict): BenchResult {
  return {
    name: `scenario: ${scenario.name}`,
    value: scenario.passed ? 1 : 0,
    unit: 'pass',
    note: `${verdict(scenario.passed)}: ${scenario.detail}`,
  };
}

export async function benchReliability(): Promise<BenchResult[]> {
  const options = readOptions();
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  progress(
    `reliability: seed ${options.seed} (BENCH_RELIABILITY_SEED=${options.seed} repeats the kill times); generating request templates...`,
  );
  const { bodies } = await encodedAgentRequests(50, options.tracesPerRequest, 'full');

  progress(`reliability: kill -9 storm, ${options.kills} kills, ${options.clients} clients`);
  const storm = await runStorm({ ...options, bodies }, progress);
  const results = stormResults(storm);
  for (const failed of storm.failedStarts)
    progress(`reliability: a start crashed on its own: ${failed.reason}\n${failed.log}`);

  if (options.scenarios) {
    progress('reliability: scenario, 120 months in one request');
    results.push(scenarioResult(await monthSpreadScenario({ bodies, deadlineSeconds: options.scenarioSeconds })));
    progress('reliability: scenario, trickling bodies');
    results.push(scenarioResult(await tricklingBodiesScenario({ bodies, normalRequests: 20 })));
  }

  // The durability contract fails the run; the scenarios are reported, not asserted (see the header).
  if (storm.count.lost > 0 || storm.count.finalDuplicates > 0) process.exitCode = 1;
  return results;
}
