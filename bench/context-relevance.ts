/**
 * Context relevance: the history of bench/context-dataset.ts (200 trajectories, 20 task families) through a
 * receiver, then for each held-out paraphrase `GET /v1/context/examples?task=...&limit=3`: precision@3 is the
 * share of the three slots filled with a successful trajectory of the query's family (fewer than three returned
 * count as misses). Measured once with n-gram retrieval and once with embeddings from bench/embeddings-server.ts,
 * a deterministic hashed-trigram STAND-IN that exercises the embeddings path and says nothing about a real
 * model's quality. Then `GET /v1/context/failures?agent=...` per family: is the planted pattern among the
 * reported ones (the failing tool with its error, the sequence that skips a step, the give-up point)?
 *
 * Until the examples route exists the same measurement runs on `GET /v1/trajectories/search` (successful
 * candidates, the same n-gram pool), and the results name the route they measured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  contextHistory,
  encodeSpans,
  historySpans,
  type ContextHistory,
  type HistoryTrajectory,
  type PlantedPattern,
} from './context-dataset.ts';
import { ingestAndSummarise, startContextReceiver } from './context-receiver.ts';
import { standInModel, startEmbeddingsServer } from './embeddings-server.ts';
import { stopReceiverProcess } from './receiver-process.ts';
import type { BenchResult } from './report.ts';

const k = 3;

/** The run behind each stored trace, found by the task id its root span carries. */
export function runsByTraceId(history: ContextHistory, spans: ReadableSpan[]): Map<string, HistoryTrajectory> {
  const byTaskId = new Map(history.trajectories.map((run) => [run.taskId, run]));
  const runs = new Map<string, HistoryTrajectory>();
  for (const span of spans) {
    const taskId = span.attributes['trajectory.task.id'];
    const run = typeof taskId === 'string' ? byTaskId.get(taskId) : undefined;
    if (run) runs.set(span.spanContext().traceId, run);
  }
  return runs;
}

export interface RetrievedExample {
  trace_id: string;
}

export interface PrecisionAtK {
  precision: number;
  /** Queries that returned fewer than k examples. */
  short: number;
  /** Of the examples returned, the share of the query's family and successful (empty slots left out). */
  precisionOfReturned: number;
  queries: number;
  /** Per query: the query's family and the families of what came back (`!` marks an unsuccessful one). */
  misses: string[];
}

/** Precision@k over the held-out queries, each answered by `retrieve`. */
export async function precisionAtK(
  history: ContextHistory,
  runs: Map<string, HistoryTrajectory>,
  retrieve: (task: string) => Promise<RetrievedExample[]>,
): Promise<PrecisionAtK> {
  let relevant = 0;
  let short = 0;
  let returnedCount = 0;
  const misses: string[] = [];
  for (const query of history.queries) {
    const returned = (await retrieve(query.text)).slice(0, k);
    if (returned.length < k) short++;
    returnedCount += returned.length;
    const hits = returned.filter((example) => {
      const run = runs.get(example.trace_id);
      return run?.family === query.family && run.outcome === 'success';
    }).length;
    relevant += hits;
    if (hits < k) {
      const got = returned.map((example) => {
        const run = runs.get(example.trace_id);
        return run ? `${run.family}${run.outcome === 'success' ? '' : '!'}` : '?';
      });
      misses.push(`${query.text} [${query.family}] -> ${got.join(', ') || 'nothing'}`);
    }
  }
  return {
    precision: relevant / (k * history.queries.length),
    short,
    precisionOfReturned: returnedCount === 0 ? 0 : relevant / returnedCount,
    queries: history.queries.length,
    misses,
  };
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

/** Which route answers examples: the context route once it exists, else the trajectory search. */
export async function examplesRetriever(
  url: string,
): Promise<{ route: string; retrieve: (task: string) => Promise<RetrievedExample[]> }> {
  const probe = await fetch(`${url}/v1/context/examples?task=probe&limit=${k}`);
  await probe.arrayBuffer();
  // A route that exists but is not implemented yet answers 500: measure the fallback then too.
  if (probe.status === 200) {
    return {
      route: '/v1/context/examples',
      retrieve: async (task) => {
        const { status, body } = await getJson<{ examples: RetrievedExample[] }>(
          `${url}/v1/context/examples?task=${encodeURIComponent(task)}&limit=${k}`,
        );
        if (status !== 200) throw new Error(`examples answered ${status}: ${JSON.stringify(body)}`);
        return body.examples;
      },
    };
  }
  return {
    route: '/v1/trajectories/search',
    retrieve: async (task) => {
      const { status, body } = await getJson<{ trajectories: RetrievedExample[] }>(
        `${url}/v1/trajectories/search?q=${encodeURIComponent(task)}&limit=${k}`,
      );
      if (status !== 200) throw new Error(`search answered ${status}: ${JSON.stringify(body)}`);
      return body.trajectories;
    },
  };
}

interface FailuresAnswer {
  tool_errors: Array<{ tool: string; error: string; failed_trajectories: number }>;
  give_up_points: Array<{ turn: number; last_action: string; last_tool_call: string | null; count: number }>;
  sequences: Array<{ sequence: string[]; failed: number; succeeded: number }>;
}

/** The words of a text without numbers or one-letter words, so `timeout after 3000 ms` and `after N ms` agree. */
const words = (text: string) =>
  text
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((word) => word.length > 1)
    .join(' ');

function containsRun(sequence: string[], pair: [string, string]): boolean {
  return sequence.some((tool, index) => tool === pair[0] && sequence[index + 1] === pair[1]);
}

/**
 * Whether the analysis reports the planted pattern. Error texts are compared on their words (the analysis blanks
 * numbers as `N`); a give-up point is the planted chat call's turn index (0-based) and the failed tool call it came
 * after.
 */
export function plantedPatternFound(pattern: PlantedPattern, answer: FailuresAnswer): boolean {
  if (pattern.kind === 'tool_error')
    return answer.tool_errors.some(
      (found) => found.tool === pattern.tool && words(found.error).includes(words(pattern.error)),
    );
  if (pattern.kind === 'skipped_step')
    return answer.sequences.some((found) => containsRun(found.sequence, pattern.sequence) && found.failed > 0);
  return answer.give_up_points.some(
    (found) => found.turn === pattern.turn - 1 && found.last_tool_call === `error:${pattern.afterErrorOf}`,
  );
}

export async function failurePatternsFound(
  url: string,
  history: ContextHistory,
): Promise<{ found: Record<PlantedPattern['kind'], number>; planted: Record<PlantedPattern['kind'], number> }> {
  const found = { tool_error: 0, skipped_step: 0, give_up: 0 };
  const planted = { tool_error: 0, skipped_step: 0, give_up: 0 };
  for (const family of history.families) {
    planted[family.pattern.kind]++;
    const { status, body } = await getJson<FailuresAnswer>(
      `${url}/v1/context/failures?agent=${encodeURIComponent(family.agent)}`,
    );
    if (status !== 200) throw new Error(`failures for ${family.agent} answered ${status}: ${JSON.stringify(body)}`);
    if (plantedPatternFound(family.pattern, body)) found[family.pattern.kind]++;
    else process.stderr.write(`[context] ${family.agent}: planted ${JSON.stringify(family.pattern)} not found\n`);
  }
  return { found, planted };
}

async function measure(
  history: ContextHistory,
  spans: ReadableSpan[],
  embeddings: { url: string; model: string } | undefined,
): Promise<{ route: string; precision: PrecisionAtK; failures?: Awaited<ReturnType<typeof failurePatternsFound>> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'trajectories-bench-context-'));
  const receiver = await startContextReceiver(dataDir, embeddings);
  try {
    await ingestAndSummarise(receiver.url, encodeSpans(spans), history.trajectories.length);
    const runs = runsByTraceId(history, spans);
    const { route, retrieve } = await examplesRetriever(receiver.url);
    const precision = await precisionAtK(history, runs, retrieve);
    const probe = await fetch(`${receiver.url}/v1/context/failures?agent=probe`);
    await probe.arrayBuffer();
    if (embeddings || probe.status !== 200) return { route, precision };
    return { route, precision, failures: await failurePatternsFound(receiver.url, history) };
  } finally {
    await stopReceiverProcess(receiver.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchContextRelevance(): Promise<BenchResult[]> {
  const history = contextHistory();
  const spans = await historySpans(history, Date.now() - 86_400_000 * 2, 60_000);
  const lexical = await measure(history, spans, undefined);
  const server = await startEmbeddingsServer();
  let embedded: Awaited<ReturnType<typeof measure>>;
  try {
    embedded = await measure(history, spans, { url: server.url, model: standInModel });
  } finally {
    await server.close();
  }
  for (const [label, outcome] of [
    ['n-gram', lexical],
    ['embeddings', embedded],
  ] as const) {
    process.stderr.write(`[context] ${label} misses (${outcome.precision.misses.length}):\n`);
    for (const miss of outcome.precision.misses) process.stderr.write(`  ${miss}\n`);
  }
  const { queries } = lexical.precision;
  const results: BenchResult[] = [
    {
      name: `precision@3, n-gram (${queries} held-out queries)`,
      value: lexical.precision.precision,
      unit: 'share',
      note:
        `${lexical.route}; ${lexical.precision.short} queries returned < 3 (nothing else similar enough); ` +
        `precision of what was returned ${lexical.precision.precisionOfReturned.toFixed(2)}`,
    },
    {
      name: `precision@3, embeddings stand-in`,
      value: embedded.precision.precision,
      unit: 'share',
      baseline: lexical.precision.precision,
      ratio: embedded.precision.precision / lexical.precision.precision,
      note:
        `${embedded.route}; ${embedded.precision.short} returned < 3; hashed word+trigram stand-in ` +
        `exercising the embeddings path, not a model quality claim`,
    },
  ];
  if (lexical.failures) {
    for (const kind of ['tool_error', 'skipped_step', 'give_up'] as const) {
      results.push({
        name: `failure patterns found: ${kind}`,
        value: lexical.failures.found[kind],
        unit: `of ${lexical.failures.planted[kind]} planted`,
      });
    }
  } else {
    results.push({
      name: 'failure patterns found',
      value: 0,
      unit: '',
      note: 'GET /v1/context/failures does not answer yet',
    });
  }
  return results;
}
