/**
 * A local server speaking OpenAI's embeddings wire format (`POST /v1/embeddings`) for the context benchmarks.
 *
 * Its "model" is a STAND-IN, not a language model: each text becomes hashed features of its lower-cased words
 * and of their character trigrams (so "refund" and "refunds" share most features), L2-normalised. It knows
 * nothing about the benchmark's task families or any vocabulary; it exists to exercise the receiver's
 * embeddings path (request, cache, cosine re-rank) end to end. Precision measured with it says how that path
 * behaves with a weak lexical embedding, and makes no claim about what a real embedding model would achieve.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

export const standInModel = 'hashed-trigram-stand-in';
const dimensions = 512;

const requestSchema = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string())]),
});

/** FNV-1a: a small, stable string hash. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
}

export function standInEmbedding(text: string): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const add = (feature: string, weight: number) => {
    const bucket = hash(feature);
    // The sign bit spreads collisions around zero instead of letting them only add up.
    vector[bucket % dimensions]! += bucket & 0x80000000 ? -weight : weight;
  };
  for (const word of text.toLowerCase().match(/\p{L}[\p{L}\p{N}]*/gu) ?? []) {
    add(`w:${word}`, 1);
    const padded = ` ${word} `;
    for (let index = 0; index + 3 <= padded.length; index++) add(`t:${padded.slice(index, index + 3)}`, 0.5);
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((component) => component / norm);
}

export interface EmbeddingsServer {
  /** Base URL for --embeddings-url, e.g. http://127.0.0.1:PORT/v1. */
  url: string;
  /** Texts embedded so far. */
  embedded(): number;
  close(): Promise<void>;
}

export async function startEmbeddingsServer(): Promise<EmbeddingsServer> {
  let embedded = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/embeddings') {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: 'only POST /v1/embeddings is served' } }));
        return;
      }
      let parsed: z.infer<typeof requestSchema>;
      try {
        parsed = requestSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: 'body must be {"model": string, "input": string[]}' } }));
        return;
      }
      const inputs = typeof parsed.input === 'string' ? [parsed.input] : parsed.input;
      embedded += inputs.length;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          object: 'list',
          model: parsed.model,
          data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: standInEmbedding(text) })),
          usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    embedded: () => embedded,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
