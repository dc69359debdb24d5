/**
 * The proxy benchmark's callers: `concurrency` closed-loop callers (each sends its next call when its last one
 * ended) sharing one kept-alive `node:http` agent, making `calls` chat completions against one URL, direct to the
 * upstream or through the proxy, with the same client either way. Each call's time runs from `request()` to the
 * end of the body, and for a streamed call also to its first body chunk (the first SSE event), which is what an
 * agent waits for before it can show or act on anything. A call counts as failed unless it answered 200 with the
 * whole body (the upstream's exact length, or a stream ending in `data: [DONE]`).
 *
 * Every caller carries its own `x-trajectory-id` (the proxy records its calls as one trajectory, as an agent loop
 * would be) and every request its own text, so no two recorded calls are the same conversation.
 */
import { Agent, request } from 'node:http';
import { answerAfterHeader, heldHeader } from './proxy-upstream.ts';

export interface CallerRun {
  url: string;
  streamed: boolean;
  calls: number;
  concurrency: number;
  /** The non-streamed answer's length, to check bodies against. */
  completionBytes: number;
  /** Distinguishes this run's trajectories (x-trajectory-id) from other runs'. */
  label: string;
  /** The upstream answers this many ms after the request (0: at once). */
  answerAfterMillis: number;
}

export interface CallerSamples {
  /** Per completed call, ms from request() to the end of the body. */
  totalMillis: number[];
  /** Per completed streamed call, ms from request() to the first body chunk (empty when not streamed). */
  firstChunkMillis: number[];
  /** Per completed call, totalMillis less the time the upstream says it held the answer (x-bench-held-ms). */
  beyondUpstreamMillis: number[];
  failures: number;
  failureExamples: string[];
  /** Wall time of the whole run. */
  seconds: number;
  /** This process's CPU (user + system) over the run: the callers and, in the benchmark, the upstream. */
  cpuMicros: number;
}

const systemPrompt =
  'You are a weather assistant for travellers. Answer in two or three sentences, give temperatures in Celsius, ' +
  'mention rain only when its chance is above 30%, and suggest the best evening for an outdoor dinner.';

/** A ~1 KB request body: a system prompt, one earlier exchange, the question, one tool definition. */
function requestBody(streamed: boolean, caller: number, call: number): string {
  return JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: systemPrompt },
      { role: 'user', content: `Hi, I am planning trip number ${caller}-${call} to France next week.` },
      { role: 'assistant', content: 'Happy to help. Which city, and which days are you interested in?' },
      { role: 'user', content: `Paris, Wednesday to Saturday (request ${call} of caller ${caller}). Any rain?` },
    ],
    tools: [
      {
        type: 'function',
        function: {
          name: 'get_forecast',
          description: 'Daily forecast for a city: temperature range, rain chance, wind',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1, maximum: 7 } },
            required: ['city'],
          },
        },
      },
    ],
    temperature: 0.2,
    ...(streamed ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

interface CallTiming {
  totalMillis: number;
  firstChunkMillis: number;
  heldMillis: number;
}

function oneCall(agent: Agent, run: CallerRun, caller: number, call: number): Promise<CallTiming> {
  const body = requestBody(run.streamed, caller, call);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstChunkMillis = -1;
    const outgoing = request(
      run.url,
      {
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          Authorization: 'Bearer sk-bench-not-a-real-key',
          'x-trajectory-id': `proxy-bench-${run.label}-${caller}`,
          ...(run.answerAfterMillis > 0 ? { [answerAfterHeader]: String(run.answerAfterMillis) } : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => {
          if (firstChunkMillis < 0) firstChunkMillis = performance.now() - started;
          chunks.push(chunk);
        });
        response.on('end', () => {
          const totalMillis = performance.now() - started;
          const text = Buffer.concat(chunks).toString('utf8');
          const complete = run.streamed
            ? text.endsWith('data: [DONE]\n\n')
            : Buffer.byteLength(text) === run.completionBytes;
          if (response.statusCode !== 200 || !complete)
            reject(new Error(`HTTP ${response.statusCode}, ${text.length} characters: ${text.slice(0, 200)}`));
          else resolve({ totalMillis, firstChunkMillis, heldMillis: Number(response.headers[heldHeader] ?? 0) });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

export async function runCallers(agent: Agent, run: CallerRun): Promise<CallerSamples> {
  const samples: CallerSamples = {
    totalMillis: [],
    firstChunkMillis: [],
    beyondUpstreamMillis: [],
    failures: 0,
    failureExamples: [],
    seconds: 0,
    cpuMicros: 0,
  };
  let issued = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const caller = async (number: number) => {
    while (issued < run.calls) {
      const call = issued++;
      try {
        const timing = await oneCall(agent, run, number, call);
        samples.totalMillis.push(timing.totalMillis);
        samples.beyondUpstreamMillis.push(timing.totalMillis - timing.heldMillis);
        if (run.streamed) samples.firstChunkMillis.push(timing.firstChunkMillis);
      } catch (error) {
        samples.failures++;
        if (samples.failureExamples.length < 3) samples.failureExamples.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: run.concurrency }, (_, number) => caller(number)));
  samples.seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  samples.cpuMicros = cpu.user + cpu.system;
  return samples;
}

/** The agent both sides use: kept-alive connections, one per caller. */
export function callerAgent(concurrency: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
}
