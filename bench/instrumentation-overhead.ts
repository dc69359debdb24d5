/**
 * Instrumentation overhead per LLM call: `chat.completions.create` through the real `openai` client, instrumented
 * (content capture on, and off) against the same call uninstrumented, measured in interleaved rounds in one
 * process. Two transports: the local wire-protocol model server over HTTP (what an agent sees), and an in-process
 * `fetch` returning a canned response (isolates our cost from network noise).
 *
 * "Uninstrumented" is the state after `handle.shutdown()`: the patched method then calls straight through, which
 * costs one flag check. Spans go to a batch processor with a discarding exporter, so the figures cover span
 * creation, attribute mapping and content serialization, not the network export (which is off the call path).
 */
import type { ExportResult } from '@opentelemetry/core';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import OpenAI from 'openai';
import { startModelServer } from '../examples/model-server.ts';
import { register, type InstrumentationHandle } from '../instrumentation/src/index.ts';

export interface InstrumentationBenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
}

type Variant = 'uninstrumented' | 'content on' | 'content off';

class DiscardingExporter implements SpanExporter {
  exported = 0;
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.exported += spans.length;
    resultCallback({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are a careful assistant that uses tools for arithmetic and lookups.' },
  { role: 'user', content: 'What is the capital of France, and what is 12 * 12?' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'capital', arguments: '{"country":"France"}' } }],
  },
  { role: 'tool', tool_call_id: 'call_a', content: 'Paris' },
  { role: 'user', content: 'Now summarize both answers in one sentence, please.' },
];
const tools: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'capital',
      description: 'Capital city of a country',
      parameters: { type: 'object', properties: { country: { type: 'string' } } },
    },
  },
  {
    type: 'function',
    function: {
      name: 'calculator',
      description: 'Evaluates arithmetic',
      parameters: { type: 'object', properties: { expression: { type: 'string' } } },
    },
  },
];

async function measure(
  transport: string,
  client: OpenAI,
  rounds: number,
  callsPerRound: number,
): Promise<InstrumentationBenchResult[]> {
  let handle: InstrumentationHandle | undefined;
  const setVariant = async (variant: Variant): Promise<void> => {
    await handle?.shutdown();
    handle = undefined;
    if (variant !== 'uninstrumented') {
      handle = register({
        spanProcessors: [
          new BatchSpanProcessor(new DiscardingExporter(), {
            maxQueueSize: 100_000,
            maxExportBatchSize: 2048,
            scheduledDelayMillis: 200,
          }),
        ],
        modules: { openai: OpenAI },
        autoInstrument: false,
        captureMessageContent: variant === 'content on',
      });
    }
  };
  const call = () => client.chat.completions.create({ model: 'bench-model', messages, tools, temperature: 0 });
  const samples: Record<Variant, number[]> = { uninstrumented: [], 'content on': [], 'content off': [] };
  for (const variant of Object.keys(samples) as Variant[]) {
    await setVariant(variant);
    for (let index = 0; index < 200; index++) await call();
  }
  for (let round = 0; round < rounds; round++) {
    for (const variant of Object.keys(samples) as Variant[]) {
      await setVariant(variant);
      for (let index = 0; index < callsPerRound; index++) {
        const started = process.hrtime.bigint();
        await call();
        samples[variant].push(Number(process.hrtime.bigint() - started) / 1000);
      }
    }
  }
  await handle?.shutdown();
  const baseline = median(samples.uninstrumented);
  return (['content on', 'content off'] as const).map((variant) => {
    const instrumented = median(samples[variant]);
    return {
      name: `overhead per chat.completions.create, ${variant} (${transport})`,
      value: round2(instrumented - baseline),
      unit: 'µs',
      baseline: round2(baseline),
      ratio: round2(instrumented / baseline),
    };
  });
}

export async function benchInstrumentationOverhead(): Promise<InstrumentationBenchResult[]> {
  const server = await startModelServer();
  try {
    const httpClient = new OpenAI({ baseURL: server.openaiBaseUrl, apiKey: 'bench', maxRetries: 0 });
    const canned = JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'bench-model',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Paris is the capital of France, and 12 * 12 is 144.' },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: 80,
        completion_tokens: 14,
        total_tokens: 94,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    });
    const inProcessClient = new OpenAI({
      baseURL: 'http://in-process.invalid/v1',
      apiKey: 'bench',
      maxRetries: 0,
      fetch: () =>
        Promise.resolve(new Response(canned, { status: 200, headers: { 'content-type': 'application/json' } })),
    });
    return [
      ...(await measure('local HTTP model server', httpClient, 6, 250)),
      ...(await measure('in-process fetch', inProcessClient, 6, 1500)),
    ];
  } finally {
    await server.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

if (
  process.argv[1] &&
  import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0') &&
  !process.env['TRAJECTORIES_BENCH_SUITE']
) {
  for (const result of await benchInstrumentationOverhead()) console.log(JSON.stringify(result));
}
