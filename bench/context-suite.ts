/**
 * `npm run bench -- context`: relevance of context learning's answers over the shared history (precision@3 of
 * examples with n-gram and stand-in embeddings retrieval, planted failure patterns found), then latency of
 * `examples` over a large store beside the raw n-gram candidate query. BENCH_CONTEXT_PARTS=relevance (or
 * latency) runs one part; BENCH_CONTEXT_TRAJECTORIES sizes the latency store (100,000 by default).
 */
import { benchContextLatency } from './context-latency.ts';
import { benchContextRelevance } from './context-relevance.ts';
import type { BenchResult } from './report.ts';

export async function benchContext(): Promise<BenchResult[]> {
  const parts = (process.env['BENCH_CONTEXT_PARTS'] ?? 'relevance,latency').split(',');
  const results: BenchResult[] = [];
  if (parts.includes('relevance')) results.push(...(await benchContextRelevance()));
  if (parts.includes('latency')) results.push(...(await benchContextLatency()));
  return results;
}
