/**
 * The proxy benchmark's upstream: a loopback OpenAI chat-completions server that answers at once, so what the
 * benchmark measures is the proxy, not a model. A request without `"stream": true` gets a ~1 KB
 * `chat.completion` body (the shape and size of OpenAI's, usage details included); a streamed one gets server-sent
 * events as OpenAI sends them: the role chunk with the headers, then `contentChunks` content chunks `chunkGapMillis`
 * apart (a token cadence, so 50 streams in flight are not 50 bursts), the finish and usage chunks, `data: [DONE]`.
 * Bodies are serialised once; the request body is read to its end (as a real server would) but not parsed. A
 * request with `x-bench-answer-after-ms: <n>` is answered later instead, as a model that takes its time: after
 * between n/2 and 3n/2 ms, uniformly, so that callers which started together do not stay in lockstep and arrive in
 * waves (real calls vary far more). The answer says how long it was held in `x-bench-held-ms`, so a caller can
 * take the model's time out of its measurement. The proxy passes both headers on like any other.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Asks the upstream to answer about this many ms after the request ended (see the module comment). */
export const answerAfterHeader = 'x-bench-answer-after-ms';
/** How long the upstream held the answer, in ms. */
export const heldHeader = 'x-bench-held-ms';

export interface BenchUpstream {
  /** Base URL without `/v1`, as `--proxy-upstream openai=<url>` takes it. */
  baseUrl: string;
  /** The non-streamed answer's length, which a caller can check each body against. */
  completionBytes: number;
  close(): Promise<void>;
}

export interface UpstreamOptions {
  /** @default 20 */
  contentChunks?: number;
  /** @default 10 */
  chunkGapMillis?: number;
}

const answerText =
  'Paris is expected to stay dry and mostly sunny through Thursday, with highs of 21-23 °C and lows around 12 °C. ' +
  'A weak front brings clouds on Friday afternoon and a 40% chance of light rain in the evening, clearing by ' +
  'Saturday morning. Winds stay light from the south-west, 10-15 km/h, gusting to 25 km/h on Friday. The UV ' +
  'index peaks at 6 on Wednesday and Thursday, so sunscreen is worth it around midday. For an outdoor dinner, ' +
  'Thursday evening is the best choice: 19 °C at 20:00 and no rain expected.';

const completionBody = JSON.stringify({
  id: 'chatcmpl-BenchProxy7f3a9c2e41d8b6',
  object: 'chat.completion',
  created: 1_765_152_000,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: answerText, refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: {
    prompt_tokens: 212,
    completion_tokens: 118,
    total_tokens: 330,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  },
  service_tier: 'default',
  system_fingerprint: 'fp_bench0001',
});

function streamEvents(contentChunks: number): string[] {
  const base = {
    id: 'chatcmpl-BenchProxyStream5c81e0',
    object: 'chat.completion.chunk',
    created: 1_765_152_000,
    model: 'gpt-4o-mini-2024-07-18',
    service_tier: 'default',
    system_fingerprint: 'fp_bench0001',
  };
  const words = answerText.split(/(?<= )/);
  const perChunk = Math.ceil(words.length / contentChunks);
  const pieces = Array.from({ length: contentChunks }, (_, index) =>
    words.slice(index * perChunk, (index + 1) * perChunk).join(''),
  );
  const event = (body: unknown) => `data: ${JSON.stringify(body)}\n\n`;
  return [
    event({
      ...base,
      choices: [
        { index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null },
      ],
      usage: null,
    }),
    ...pieces.map((content) =>
      event({ ...base, choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }], usage: null }),
    ),
    event({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null }),
    event({ ...base, choices: [], usage: { prompt_tokens: 212, completion_tokens: 118, total_tokens: 330 } }),
    'data: [DONE]\n\n',
  ];
}

export async function startBenchUpstream(options: UpstreamOptions = {}): Promise<BenchUpstream> {
  const chunkGapMillis = options.chunkGapMillis ?? 10;
  const events = streamEvents(options.contentChunks ?? 20);
  const answer = (response: http.ServerResponse, streamed: boolean, heldMillis: number) => {
    if (response.destroyed) return;
    if (heldMillis > 0) response.setHeader(heldHeader, heldMillis.toFixed(3));
    if (!streamed) {
      response.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(completionBody),
        'x-request-id': 'req_bench',
      });
      response.end(completionBody);
      return;
    }
    response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    response.write(events[0]);
    let next = 1;
    const timer = setInterval(() => {
      if (response.destroyed) return clearInterval(timer);
      response.write(events[next++]);
      // The finish, usage and [DONE] events follow the last content chunk at once, as OpenAI sends them.
      if (next === events.length - 3) {
        clearInterval(timer);
        while (next < events.length) response.write(events[next++]);
        response.end();
      }
    }, chunkGapMillis);
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      // The client's request body decides the mode; a substring test is enough for bodies this benchmark sends.
      const streamed = Buffer.concat(chunks).includes('"stream":true');
      const answerAfterMillis = Number(request.headers[answerAfterHeader] ?? 0);
      if (answerAfterMillis <= 0) return answer(response, streamed, 0);
      const held = performance.now();
      setTimeout(() => answer(response, streamed, performance.now() - held), answerAfterMillis * (0.5 + Math.random()));
    });
  });
  // Longer than any pause between the benchmark's phases, so kept-alive connections stay open across them.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    completionBytes: Buffer.byteLength(completionBody),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
