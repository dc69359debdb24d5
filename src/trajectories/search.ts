/**
 * Similar successful trajectories for a new task (context learning). Candidates are traces ranked by
 * ClickHouse's n-gram similarity of the query to their task description and first user message (`trace_index`,
 * one row per trace), scored among the traces the word index (`trace_words`) says share the most content words
 * with the query; the best candidates' summaries are read and only those passing the filters (by default:
 * successful, final reward >= min_reward) are kept.
 *
 * With an embeddings endpoint configured, a wider candidate pool is re-ranked by cosine similarity of
 * embeddings instead: n-grams find lexically close tasks, embeddings also find paraphrases. Candidate texts are
 * embedded once per model and cached in `text_embeddings`.
 */
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { TrajectorySummary } from '../model/trajectory.ts';
import { loadSql } from '../store/sql-files.ts';
import type { TrajectoryFilters } from './filters.ts';
import { cosineSimilarity, type EmbeddingClient } from './embedding-client.ts';
import { queryRows } from './read-assembly-input.ts';
import type { AssembledSummary } from './assemble-trajectory.ts';
import { readSummaries } from './read-trajectories.ts';
import { resolveTrajectorySettings, type TrajectorySettings } from './settings.ts';

export interface SearchResult extends TrajectorySummary {
  similarity: number;
}

export interface SearchOptions extends Partial<TrajectorySettings> {
  embeddings?: EmbeddingClient | undefined;
}

export interface SearchCandidate {
  trace_id: string;
  task_text: string;
  user_text: string;
  similarity: number | string;
}

function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Embeddings of `texts`, from the cache where present; missing ones are embedded and stored. */
async function cachedEmbeddings(
  client: ClickHouseClient,
  tenant: string,
  embeddings: EmbeddingClient,
  texts: string[],
): Promise<Map<string, number[]>> {
  const byHash = new Map(texts.map((text) => [textHash(text), text]));
  const cached = await queryRows<{ text_hash: string; embedding: number[] }>(client, 'queries/text-embeddings.sql', {
    tenant,
    model: embeddings.model,
    hashes: [...byHash.keys()],
  });
  const vectors = new Map(cached.map((row) => [row.text_hash, row.embedding]));
  const missing = [...byHash.keys()].filter((hash) => !vectors.has(hash));
  if (missing.length > 0) {
    const computed = await embeddings.embed(missing.map((hash) => byHash.get(hash) as string));
    missing.forEach((hash, index) => vectors.set(hash, computed[index] as number[]));
    await client.insert({
      table: 'text_embeddings',
      values: missing.map((hash, index) => ({
        tenant,
        model: embeddings.model,
        text_hash: hash,
        embedding: computed[index],
      })),
      format: 'JSONEachRow',
    });
  }
  return new Map([...byHash].map(([hash, text]) => [text, vectors.get(hash) as number[]]));
}

/**
 * Share of the n-gram score that character trigrams carry; the rest is content-word overlap. Words carry more:
 * paraphrases of one task share its subject words far more often than its phrasing.
 */
const trigramWeight = 0.35;

/** Words that say nothing about what a task is about, left out of the word overlap. */
export const searchStopwords = [
  ...['the', 'and', 'for', 'with', 'from', 'into', 'onto', 'that', 'this', 'these', 'those', 'what', 'which', 'who'],
  ...['whom', 'whose', 'when', 'where', 'why', 'how', 'will', 'would', 'could', 'should', 'can', 'may', 'might'],
  ...['must', 'shall', 'are', 'was', 'were', 'been', 'being', 'have', 'has', 'had', 'does', 'did', 'doing', 'not'],
  ...['you', 'your', 'yours', 'our', 'ours', 'their', 'them', 'they', 'his', 'her', 'its', 'mine', 'myself', 'please'],
  ...['about', 'over', 'under', 'again', 'then', 'than', 'there', 'here', 'some', 'any', 'all', 'each', 'every'],
  ...['just', 'also', 'very', 'too', 'out', 'off', 'get', 'give', 'make', 'tell', 'let', 'want', 'need', 'like'],
];

/**
 * Traces scored exactly per search, found by the word index: the ones sharing the most content words with the query.
 * Scoring costs about as much per trace as the full scan did, so this bounds a search's work whatever the store holds.
 */
export const indexedCandidates = 2000;

/**
 * The n-gram score below which context learning calls nothing similar. A task sharing no content word with the query
 * scores 0.35 x its trigram similarity, which for unrelated texts is about 0.02-0.05 and for a paraphrase often
 * 0.07-0.1; one shared content word among a handful lifts the score above 0.15. On the relevance bench, 0.1 cut
 * precision@3 from 0.41 to 0.38 (21 of 40 queries short of 3), 0.06 to 0.40 (2 short).
 */
export const minNgramSimilarity = 0.06;

/**
 * The `poolSize` best candidates: scored among the traces the word index finds, or among every trace of the tenant
 * when the index finds fewer than `enough` (a query of stop words, a misspelt word only trigrams recognise, or a
 * small store), so an index miss costs time, never results.
 */
export async function searchCandidates(
  client: ClickHouseClient,
  tenant: string,
  q: string,
  poolSize: number,
  enough = poolSize,
): Promise<SearchCandidate[]> {
  const run = async (candidates: number) => {
    const result = await client.query({
      query: loadSql('queries/trajectory-search.sql'),
      query_params: {
        tenant,
        q,
        limit: poolSize,
        candidates,
        stopwords: searchStopwords,
        trigram_weight: trigramWeight,
      },
      format: 'JSONEachRow',
    });
    return result.json<SearchCandidate>();
  };
  const indexed = await run(Math.max(indexedCandidates, poolSize));
  return indexed.length >= enough ? indexed : run(0);
}

export async function searchTrajectories(
  client: ClickHouseClient,
  tenant: string,
  query: {
    q: string;
    min_reward?: number | undefined;
    limit: number;
    /** Which candidates count; successful ones with at least `min_reward` when absent (the search API's rule). */
    filters?: TrajectoryFilters | undefined;
    /** One trajectory per distinct candidate text (the best): near-identical copies of a conversation count once. */
    distinctTexts?: boolean | undefined;
    /**
     * Ranked by n-grams, candidates scoring below this are left out: they are merely the least dissimilar. Not applied
     * to an embeddings ranking, whose cosines have no scale shared across models.
     */
    minSimilarity?: number | undefined;
  },
  options: SearchOptions = {},
): Promise<SearchResult[]> {
  const settings = resolveTrajectorySettings(options);
  // Candidates beyond the limit: filters (outcome, agent, task) drop some, copies of one text collapse, and the
  // embedding ranker needs a wider pool.
  const poolSize = options.embeddings ? Math.max(100, query.limit * 20) : Math.max(50, query.limit * 10);
  // The most similar candidates may all fail the filters (a task whose every near-copy failed): when a pool gives
  // too few results, the next candidates are read too, while the least similar one read still counts. Candidates
  // are scored once, for the widest pool; summaries are read pool by pool.
  let widest = poolSize;
  for (let round = 0; round < maxPoolWidenings && widest * poolGrowth <= maxWidenedPool; round++) widest *= poolGrowth;
  const rows = await searchCandidates(client, tenant, query.q, widest, poolSize);
  const candidates = new Map(rows.map((row) => [row.trace_id, row]));
  const filters = query.filters ?? { outcome: 'success', min_reward: query.min_reward };
  const summaries: AssembledSummary[] = [];
  let read = 0;
  for (let pool = poolSize; ; pool *= poolGrowth) {
    const next = rows.slice(read, pool).map((row) => row.trace_id);
    summaries.push(...(await readSummaries(client, tenant, next, filters, settings)));
    read = Math.min(pool, rows.length);
    const results = await rankSummaries(client, tenant, query, candidates, summaries, options.embeddings);
    const leastSimilar = Number(rows[read - 1]?.similarity ?? 0);
    const exhausted = read >= rows.length || pool >= widest || leastSimilar < (query.minSimilarity ?? 0);
    if (results.length >= query.limit || exhausted) return results.slice(0, query.limit);
  }
}

/**
 * How much a pool grows when it gave too few results, how often, and up to what size: examples (limit 3, pool 50)
 * look at up to 800 candidates; an analysis sample's pool of thousands is not widened.
 */
const poolGrowth = 4;
const maxPoolWidenings = 2;
const maxWidenedPool = 1000;

/** The summaries (of candidates that passed the filters) ranked, by embeddings when configured, above the floor. */
async function rankSummaries(
  client: ClickHouseClient,
  tenant: string,
  query: Parameters<typeof searchTrajectories>[2],
  candidates: Map<string, SearchCandidate>,
  summaries: AssembledSummary[],
  embeddings: EmbeddingClient | undefined,
): Promise<SearchResult[]> {
  let similarityOf = (traceId: string) => Number(candidates.get(traceId)?.similarity ?? 0);
  if (embeddings && summaries.length > 0) {
    const textOf = (traceId: string) => {
      const candidate = candidates.get(traceId);
      return candidate?.task_text || candidate?.user_text || '';
    };
    const texts = [...new Set(summaries.map((summary) => textOf(summary.trace_id)).filter((text) => text !== ''))];
    const [[queryVector], vectors] = await Promise.all([
      embeddings.embed([query.q]),
      cachedEmbeddings(client, tenant, embeddings, texts),
    ]);
    similarityOf = (traceId: string) => {
      const vector = vectors.get(textOf(traceId));
      return vector && queryVector ? cosineSimilarity(queryVector, vector) : 0;
    };
  }
  const floor = embeddings ? 0 : (query.minSimilarity ?? 0);
  const ranked = summaries
    .map((summary) => ({ ...summary, similarity: similarityOf(summary.trace_id) }))
    .filter((summary) => embeddings || summary.similarity >= floor)
    .sort(
      (a, b) =>
        b.similarity - a.similarity ||
        (b.final_reward ?? -Infinity) - (a.final_reward ?? -Infinity) ||
        (a.id < b.id ? -1 : 1),
    );
  return query.distinctTexts ? onePerText(ranked, (traceId) => candidates.get(traceId)) : ranked;
}

/** The first (best) result of each distinct candidate text, compared case- and whitespace-insensitively. */
function onePerText(
  results: SearchResult[],
  candidateOf: (traceId: string) => SearchCandidate | undefined,
): SearchResult[] {
  const seen = new Set<string>();
  return results.filter((result) => {
    const candidate = candidateOf(result.trace_id);
    const text = normalizedText(`${candidate?.task_text ?? ''} ${candidate?.user_text ?? ''}`);
    const key = text === '' ? result.trace_id : text;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function normalizedText(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}
