/**
 * Context learning's relevance, as a regression test: the benchmark's history (20 task families with paraphrased
 * task texts and planted failure patterns, bench/context-dataset.ts) stored through a real receiver over
 * OTLP/HTTP, then examples for the held-out paraphrases and the failure analysis of every family's agent. The
 * floors sit under what `npm run bench -- context` measures (precision@3 0.40, every planted pattern found), so
 * a ranking or analysis change that loses relevance fails here rather than only in a benchmark nobody ran.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { contextHistory, encodeSpans, historySpans } from '../../bench/context-dataset.ts';
import { examplesRetriever, failurePatternsFound, precisionAtK, runsByTraceId } from '../../bench/context-relevance.ts';
import { ingestAndSummarise } from '../../bench/context-receiver.ts';
import { startTestReceiver } from '../helpers/test-receiver.ts';

const history = contextHistory();
let receiver: Receiver;
let url: string;
let runs: ReturnType<typeof runsByTraceId>;

beforeAll(async () => {
  receiver = await startTestReceiver({ quietSeconds: 0 });
  url = receiver.httpUrl;
  const spans = await historySpans(history, Date.now() - 86_400_000 * 2, 60_000);
  runs = runsByTraceId(history, spans);
  await ingestAndSummarise(url, encodeSpans(spans), history.trajectories.length, 50_000);
}, 60_000);

afterAll(async () => {
  await receiver?.close();
});

describe('context learning relevance over the benchmark history', () => {
  it('ranks successful runs of the paraphrased task family first', async () => {
    const { route, retrieve } = await examplesRetriever(url);
    expect(route).toBe('/v1/context/examples');
    const measured = await precisionAtK(history, runs, retrieve);
    expect(measured.queries).toBe(40);
    // Two hard paraphrases have fewer than 3 runs above the similarity floor (measured: 2 queries).
    expect(measured.short).toBeLessThanOrEqual(4);
    // Measured 0.40; a family guessed at random would score about 0.05 (20 families).
    expect(measured.precision).toBeGreaterThanOrEqual(0.37);
  });

  it('finds every planted failure pattern', async () => {
    const { found, planted } = await failurePatternsFound(url, history);
    expect(planted).toEqual({ tool_error: 8, skipped_step: 6, give_up: 6 });
    expect(found).toEqual(planted);
  });
});
