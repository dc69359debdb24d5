/**
 * A client for an OpenAI-compatible embeddings endpoint (`POST {url}/embeddings`), the optional ranker of
 * trajectory search. Any server that speaks that wire format works (OpenAI, vLLM, Ollama, TEI's OpenAI route).
 * The response is validated with zod: it comes from outside.
 */
import { z } from 'zod';

export interface EmbeddingOptions {
  /** Base URL, e.g. `http://127.0.0.1:11434/v1`; `/embeddings` is appended. */
  url: string;
  model: string;
  apiKey?: string | undefined;
  /** @default 30000 */
  timeoutMillis?: number;
}

/** The embeddings endpoint failed or answered nonsense: the API reports it as 502, naming the endpoint. */
export class EmbeddingEndpointError extends Error {
  override readonly name = 'EmbeddingEndpointError';
}

export interface EmbeddingClient {
  readonly model: string;
  embed(texts: string[]): Promise<number[][]>;
}

const responseSchema = z.object({
  data: z.array(z.object({ index: z.number().int().nonnegative(), embedding: z.array(z.number()) })),
});

/** Inputs per request: endpoints cap the batch size (OpenAI at 2048). */
const maxBatch = 256;

export function createEmbeddingClient(options: EmbeddingOptions): EmbeddingClient {
  const endpoint = `${options.url.replace(/\/+$/, '')}/embeddings`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiKey) headers['authorization'] = `Bearer ${options.apiKey}`;

  async function embedBatch(texts: string[]): Promise<number[][]> {
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: options.model, input: texts }),
        signal: AbortSignal.timeout(options.timeoutMillis ?? 30_000),
      });
    } catch (error) {
      throw new EmbeddingEndpointError(
        `embeddings endpoint ${endpoint} unreachable: ${(error as Error).message} (check --embeddings-url)`,
        { cause: error },
      );
    }
    if (!response.ok) {
      throw new EmbeddingEndpointError(
        `embeddings endpoint ${endpoint} answered ${response.status}: ${(await response.text()).slice(0, 300)}`,
      );
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new EmbeddingEndpointError(`embeddings endpoint ${endpoint} did not answer JSON`);
    }
    const parsed = responseSchema.safeParse(body);
    if (!parsed.success)
      throw new EmbeddingEndpointError(
        `embeddings endpoint ${endpoint} sent an unexpected body: ${parsed.error.issues[0]?.message ?? ''}`,
      );
    const vectors = new Array<number[]>(texts.length);
    for (const item of parsed.data.data) vectors[item.index] = item.embedding;
    if (vectors.some((vector) => vector === undefined) || vectors.length !== texts.length) {
      throw new EmbeddingEndpointError(
        `embeddings endpoint ${endpoint} returned ${parsed.data.data.length} embeddings for ${texts.length} inputs`,
      );
    }
    return vectors;
  }

  return {
    model: options.model,
    async embed(texts) {
      const vectors: number[][] = [];
      for (let start = 0; start < texts.length; start += maxBatch)
        vectors.push(...(await embedBatch(texts.slice(start, start + maxBatch))));
      return vectors;
    },
  };
}

export function cosineSimilarity(a: number[], b: number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    const x = a[index] as number;
    const y = b[index] as number;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}
