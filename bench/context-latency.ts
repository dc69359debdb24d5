/**
 * Context latency: a store of 100,000 trajectories (BENCH_CONTEXT_TRAJECTORIES for quick runs), ingested through
 * a receiver over OTLP/HTTP protobuf, then p50/p99 of `GET /v1/context/examples?limit=3` over 200 queries beside
 * the raw n-gram candidate query (src/store/queries/trajectory-search.sql, run directly against the same store
 * with the same texts) in the same run, twice: scoring every trace (the baseline: what every search did before the
 * word index) and scoring only the candidates the word index finds. Target: examples p99 <= 50 ms.
 *
 * Trajectories are small (an agent span, a chat call asking for one tool, its execute_tool span, a final chat
 * call, a reward: 5 spans) with task texts from the context history's families and a request number, so the
 * n-gram scan sees 100,000 distinct texts. The receiver runs in this process (the raw query needs its store; libchdb
 * binds one data directory per process), with the write-ahead log unsynced: this measures reads, not durability.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startReceiver } from '../collector/receiver.ts';
import { loadSql } from '../src/store/sql-files.ts';
import { indexedCandidates, searchStopwords } from '../src/trajectories/search.ts';
import { contextHistory, encodeSpans, type HistoryTrajectory } from './context-dataset.ts';
import { postAll } from './receiver-process.ts';
import { percentile, type BenchResult } from './report.ts';

const trajectoryCount = Number(process.env['BENCH_CONTEXT_TRAJECTORIES'] ?? 100_000);
const chunkTrajectories = 2_000;
const queryCount = 200;
const examplesLimit = 3;
/** The n-gram candidate pool trajectory search reads for a limit of 3 (max(50, limit * 10), src/trajectories/search.ts). */
const rawPool = 50;
/** The query's other parameters as src/trajectories/search.ts passes them. */
const rawParameters = { stopwords: searchStopwords, trigram_weight: 0.35 };

function emitSmallTrajectory(tracer: Tracer, run: HistoryTrajectory, number: number, startMillis: number): void {
  const task = `${run.task} (request ${number})`;
  const root = tracer.startSpan(`invoke_agent ${run.agent}`, {
    startTime: startMillis,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': run.agent,
      'trajectory.task.id': `${run.taskId}-${number}`,
      'trajectory.task.description': task,
    },
  });
  const context = trace.setSpan(ROOT_CONTEXT, root);
  const tool = run.calls[0]!;
  const callId = `call_${number}`;
  const user = { role: 'user', parts: [{ type: 'text', content: task }] };
  const ask = {
    role: 'assistant',
    parts: [{ type: 'tool_call', id: callId, name: tool.tool, arguments: { request: number } }],
    finish_reason: 'tool_call',
  };
  const result = tool.error === undefined ? `${tool.tool} done for request ${number}` : `Error: ${tool.error}`;
  const answered = { role: 'tool', parts: [{ type: 'tool_call_response', id: callId, response: result }] };
  const final = {
    role: 'assistant',
    parts: [{ type: 'text', content: `${run.outcome === 'success' ? 'Done' : 'Could not finish'}: ${task}` }],
    finish_reason: 'stop',
  };
  const chat = (input: unknown[], output: unknown, at: number) =>
    tracer
      .startSpan(
        'chat gpt-4o-mini',
        {
          kind: SpanKind.CLIENT,
          startTime: at,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.input.messages': JSON.stringify(input),
            'gen_ai.output.messages': JSON.stringify([output]),
          },
        },
        context,
      )
      .end(at + 500);
  chat([user], ask, startMillis + 100);
  tracer
    .startSpan(
      `execute_tool ${tool.tool}`,
      {
        startTime: startMillis + 700,
        attributes: {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': tool.tool,
          'gen_ai.tool.call.id': callId,
          'gen_ai.tool.call.result': result,
        },
      },
      context,
    )
    .end(startMillis + 900);
  chat([user, ask, answered], final, startMillis + 1000);
  tracer
    .startSpan(
      'agentlightning.annotation',
      {
        startTime: startMillis + 1600,
        attributes: {
          'agentlightning.reward.0.name': 'task_success',
          'agentlightning.reward.0.value': run.finalReward,
        },
      },
      context,
    )
    .end(startMillis + 1600);
  root.end(startMillis + 1700);
}

/** OTLP bodies of trajectories [first, first + count), made with the real SDK. */
async function encodedChunk(runs: HistoryTrajectory[], first: number, count: number, from: number) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'context-latency' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('context-latency', '1.0.0');
  for (let number = first; number < first + count; number++)
    emitSmallTrajectory(tracer, runs[number % runs.length]!, number, from + number * 2000);
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return { bodies: encodeSpans(spans, 512), spans: spans.length };
}

async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

export async function benchContextLatency(): Promise<BenchResult[]> {
  // One history of 20 families x 50 runs: the texts and outcomes the store's trajectories cycle through.
  const history = contextHistory({ perFamily: 50 });
  const dataDir = mkdtempSync(join(tmpdir(), 'trajectories-bench-context-latency-'));
  const receiver = await startReceiver({
    dataDir,
    httpPort: 0,
    grpcPort: -1,
    quietSeconds: 0,
    walSync: 'none',
  });
  try {
    const from = Date.now() - 86_400_000 * 7;
    const ingestStarted = performance.now();
    let spans = 0;
    for (let first = 0; first < trajectoryCount; first += chunkTrajectories) {
      const chunk = await encodedChunk(
        history.trajectories,
        first,
        Math.min(chunkTrajectories, trajectoryCount - first),
        from,
      );
      await postAll(receiver.httpUrl, chunk.bodies, 4);
      spans += chunk.spans;
      if ((first / chunkTrajectories) % 5 === 4 || first + chunkTrajectories >= trajectoryCount) {
        const seconds = (performance.now() - ingestStarted) / 1000;
        process.stderr.write(
          `[context-latency] ${Math.min(first + chunkTrajectories, trajectoryCount)}/${trajectoryCount} ` +
            `trajectories acknowledged, ${Math.round(spans / seconds)} spans/s\n`,
        );
      }
    }
    const ingestSeconds = (performance.now() - ingestStarted) / 1000;
    const summarizeStarted = performance.now();
    await receiver.flush(600_000);
    const summarizeSeconds = (performance.now() - summarizeStarted) / 1000;
    process.stderr.write(
      `[context-latency] stored and summarised ${summarizeSeconds.toFixed(1)} s after the last ack\n`,
    );

    // 200 query texts: every held-out paraphrase with five entities of its family.
    const queries: string[] = [];
    for (const family of history.families)
      for (const wording of family.heldOut)
        for (let entity = 0; entity < 5; entity++)
          queries.push(wording.replace('{}', family.entities[entity % family.entities.length]!));
    queries.length = Math.min(queries.length, queryCount);

    const probe = await fetch(`${receiver.httpUrl}/v1/context/examples?task=probe&limit=${examplesLimit}`);
    await probe.arrayBuffer();
    const route = probe.status === 200 ? '/v1/context/examples' : '/v1/trajectories/search';
    const routeUrl = (text: string) =>
      route === '/v1/context/examples'
        ? `${receiver.httpUrl}/v1/context/examples?task=${encodeURIComponent(text)}&limit=${examplesLimit}`
        : `${receiver.httpUrl}/v1/trajectories/search?q=${encodeURIComponent(text)}&limit=${examplesLimit}`;
    const sql = loadSql('queries/trajectory-search.sql');
    // The query alone, scoring every trace (candidates 0, what every search did before the word index) or the
    // traces the word index finds (the bound search.ts passes).
    const raw = (candidates: number) => async (text: string) => {
      const result = await receiver.store.client.query({
        query: sql,
        query_params: { tenant: 'default', q: text, limit: rawPool, candidates, ...rawParameters },
        format: 'JSONEachRow',
      });
      await result.json();
    };
    const rawFull = raw(0);
    const rawIndexed = raw(indexedCandidates);
    const emptyQueries: string[] = [];
    const viaRoute = async (text: string) => {
      const response = await fetch(routeUrl(text));
      const body = (await response.json()) as { examples?: unknown[]; trajectories?: unknown[] };
      if (response.status !== 200) throw new Error(`${route} answered ${response.status}: ${JSON.stringify(body)}`);
      if ((body.examples ?? body.trajectories ?? []).length === 0) emptyQueries.push(text);
    };
    // Warm every path so the first sample does not pay for loading marks and parsing the queries.
    for (const text of queries.slice(0, 5)) {
      await rawFull(text);
      await rawIndexed(text);
      await viaRoute(text);
    }
    const fullTimes: number[] = [];
    const indexedTimes: number[] = [];
    const routeTimes: number[] = [];
    // Interleaved, so all see the same machine load.
    for (const text of queries) {
      fullTimes.push(await timed(() => rawFull(text)));
      indexedTimes.push(await timed(() => rawIndexed(text)));
      routeTimes.push(await timed(() => viaRoute(text)));
    }
    for (const text of emptyQueries.slice(0, 5)) process.stderr.write(`[context-latency] empty answer: ${text}\n`);
    const fullP50 = percentile(fullTimes, 0.5);
    const fullP99 = percentile(fullTimes, 0.99);
    const indexedP50 = percentile(indexedTimes, 0.5);
    const indexedP99 = percentile(indexedTimes, 0.99);
    const routeP50 = percentile(routeTimes, 0.5);
    const routeP99 = percentile(routeTimes, 0.99);
    const name = route === '/v1/context/examples' ? 'examples' : 'search (examples route not answering yet)';
    return [
      {
        name: `context latency store: ${trajectoryCount} trajectories ingested`,
        value: spans / ingestSeconds,
        unit: 'spans/s',
        note: `${spans} spans acknowledged in ${ingestSeconds.toFixed(1)} s, summarised ${summarizeSeconds.toFixed(1)} s later`,
      },
      {
        name: `${name} p50 (${queries.length} queries)`,
        value: routeP50,
        unit: 'ms',
        baseline: fullP50,
        ratio: routeP50 / fullP50,
        note: `baseline: raw trajectory-search.sql scoring every trace, limit ${rawPool}`,
      },
      {
        name: `${name} p99 (target <= 50 ms)`,
        value: routeP99,
        unit: 'ms',
        baseline: fullP99,
        ratio: routeP99 / fullP99,
        note: `${route}; ${emptyQueries.length} of ${queries.length + 5} answers were empty`,
      },
      {
        name: 'raw search query through the word index p50',
        value: indexedP50,
        unit: 'ms',
        baseline: fullP50,
        ratio: indexedP50 / fullP50,
        note: `${indexedCandidates} candidates at most; baseline: the same query scoring every trace`,
      },
      {
        name: 'raw search query through the word index p99',
        value: indexedP99,
        unit: 'ms',
        baseline: fullP99,
        ratio: indexedP99 / fullP99,
      },
    ];
  } finally {
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
