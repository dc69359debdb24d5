/**
 * `npm run bench -- context`: relevance of context learning's answers over the shared history (precision@3 of
 * examples with n-gram and stand-in embeddings retrieval, planted failure patterns found).
 */
import { benchContextRelevance } from './context-relevance.ts';
import type { BenchResult } from './report.ts';

export async function benchContext(): Promise<BenchResult[]> {
  return benchContextRelevance();
}
