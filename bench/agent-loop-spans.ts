/**
 * Agent-loop trajectories for the `agent-loop` benchmark, produced with the real OpenTelemetry SDK and encoded
 * with the real OTLP protobuf serializer. One invoke_agent root span per trajectory; `calls` chat spans, each
 * re-sending the whole history in `gen_ai.input.messages` (GenAI semconv parts format) with the system prompt in
 * `gen_ai.system_instructions`; an execute_tool span between two calls. Sizes follow issue 16: system prompt
 * about 1 KB, assistant outputs about 300 B (a sentence and a tool call), tool results about 500 B.
 *
 * Every text is drawn from a seeded generator, so no two trajectories share a sentence and the store's
 * compression is measured on content as varied as real agents produce. Spans are exported in requests of at most
 * 512 spans in the order they end, as a BatchSpanProcessor would, with several trajectories running at once, so
 * one trajectory's calls are spread over several requests and its root arrives last.
 */
import { ROOT_CONTEXT, SpanKind, trace, type Span, type Tracer } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

export interface AgentLoopOptions {
  /** Chat calls per trajectory. */
  calls: number;
  trajectories: number;
  /** Trajectories running at the same time (their spans interleave in the requests). @default 16 */
  concurrentTrajectories?: number;
  /** A BatchSpanProcessor's maxExportBatchSize. @default 512 */
  maxSpansPerRequest?: number;
  /** @default 1 */
  seed?: number;
}

export interface AgentLoopRequests {
  bodies: Uint8Array[];
  spans: number;
  trajectories: number;
  /**
   * Each distinct piece of content once, as its JSON text: every system prompt, user task, assistant output and
   * tool result message (a store that keeps each message once needs at least these bytes).
   */
  distinctContents: string[];
}

/** mulberry32: small, fast, and deterministic for a seed. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

const syllables = ['ka', 'lo', 'mi', 'ren', 'tas', 'vo', 'quel', 'dra', 'pin', 'sor', 'ul', 'ne', 'gri', 'fa', 'zet'];

/** A vocabulary of a few thousand word-like tokens with a skewed (Zipf-like) frequency, like natural text. */
function vocabulary(random: () => number): string[] {
  const words = new Set<string>();
  while (words.size < 4000) {
    let word = '';
    const length = 1 + Math.floor(random() * 4);
    for (let index = 0; index < length; index++) word += syllables[Math.floor(random() * syllables.length)];
    words.add(word);
  }
  return [...words];
}

class TextSource {
  private readonly random: () => number;
  private readonly words: string[];

  constructor(seed: number) {
    this.random = randomSource(seed);
    this.words = vocabulary(this.random);
  }

  word(): string {
    // The square skews choices towards the start of the vocabulary: frequent words, rare words.
    const pick = this.random();
    return this.words[Math.floor(pick * pick * this.words.length)]!;
  }

  integer(limit: number): number {
    return Math.floor(this.random() * limit);
  }

  /** Sentences of random words, about `length` characters. */
  text(length: number): string {
    let text = '';
    while (text.length < length) {
      const words = 6 + this.integer(10);
      const sentence: string[] = [];
      for (let index = 0; index < words; index++) sentence.push(this.word());
      const first = sentence[0]!;
      sentence[0] = first[0]!.toUpperCase() + first.slice(1);
      text += (text ? ' ' : '') + sentence.join(' ') + '.';
    }
    return text;
  }
}

const tools = ['search', 'read_file', 'run_tests', 'edit_file'] as const;

interface RunningTrajectory {
  index: number;
  step: number;
  root: Span;
  systemInstructions: string;
  history: unknown[];
  inputTokens: number;
}

function startTrajectory(tracer: Tracer, text: TextSource, index: number, distinct: string[]): RunningTrajectory {
  const root = tracer.startSpan('invoke_agent coder', {
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'coder',
      'trajectory.task.id': `task-${index}`,
    },
  });
  const systemInstructions = JSON.stringify([{ type: 'text', content: text.text(1000) }]);
  const task = { role: 'user', parts: [{ type: 'text', content: `Task ${index}: ${text.text(150)}` }] };
  distinct.push(systemInstructions, JSON.stringify(task));
  return { index, step: 0, root, systemInstructions, history: [task], inputTokens: 300 };
}

/** One chat call (and, unless it was the last, the tool execution it asked for). True when the trajectory ended. */
function advance(
  tracer: Tracer,
  text: TextSource,
  running: RunningTrajectory,
  calls: number,
  distinct: string[],
): boolean {
  const context = trace.setSpan(ROOT_CONTEXT, running.root);
  const last = running.step === calls - 1;
  const callId = `call_${running.index}_${running.step}`;
  const tool = tools[text.integer(tools.length)]!;
  const toolArguments = { target: text.text(60), limit: 1 + text.integer(20) };
  const output = last
    ? { role: 'assistant', parts: [{ type: 'text', content: text.text(300) }], finish_reason: 'stop' }
    : {
        role: 'assistant',
        parts: [
          { type: 'text', content: text.text(160) },
          { type: 'tool_call', id: callId, name: tool, arguments: toolArguments },
        ],
        finish_reason: 'tool_call',
      };
  const outputText = JSON.stringify(output);
  distinct.push(outputText);
  const outputTokens = Math.round(outputText.length / 4);
  const chat = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.response.id': `chatcmpl-${running.index}-${running.step}`,
        'gen_ai.response.finish_reasons': [last ? 'stop' : 'tool_call'],
        'gen_ai.request.temperature': 0.2,
        'gen_ai.usage.input_tokens': running.inputTokens,
        'gen_ai.usage.output_tokens': outputTokens,
        'gen_ai.system_instructions': running.systemInstructions,
        'gen_ai.input.messages': JSON.stringify(running.history),
        'gen_ai.output.messages': JSON.stringify([output]),
      },
    },
    context,
  );
  chat.end();
  running.history.push(output);
  running.inputTokens += outputTokens;
  running.step++;
  if (last) {
    running.root.end();
    return true;
  }
  const result = text.text(500);
  const execution = tracer.startSpan(
    `execute_tool ${tool}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': tool,
        'gen_ai.tool.call.id': callId,
        'gen_ai.tool.call.arguments': JSON.stringify(toolArguments),
        'gen_ai.tool.call.result': result,
      },
    },
    context,
  );
  execution.end();
  const toolMessage = { role: 'tool', parts: [{ type: 'tool_call_response', id: callId, response: result }] };
  distinct.push(JSON.stringify(toolMessage));
  running.history.push(toolMessage);
  running.inputTokens += Math.round(result.length / 4);
  return false;
}

/** Encoded ExportTraceServiceRequest bodies of `trajectories` agent loops of `calls` chat calls each. */
export async function encodedAgentLoopRequests(options: AgentLoopOptions): Promise<AgentLoopRequests> {
  const concurrent = options.concurrentTrajectories ?? 16;
  const maxSpans = options.maxSpansPerRequest ?? 512;
  const text = new TextSource(options.seed ?? 1);
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-agent-loop', 'service.version': '1.0.0' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('bench', '1.0.0');
  const bodies: Uint8Array[] = [];
  const distinctContents: string[] = [];
  let spans = 0;
  const flush = (all: boolean): void => {
    let finished: ReadableSpan[] = memory.getFinishedSpans();
    if (finished.length < maxSpans && !all) return;
    memory.reset();
    while (finished.length >= maxSpans || (all && finished.length > 0)) {
      const batch = finished.slice(0, maxSpans);
      finished = finished.slice(maxSpans);
      const body = ProtobufTraceSerializer.serializeRequest(batch);
      if (!body) throw new Error('serializer produced no body');
      bodies.push(body);
      spans += batch.length;
    }
    // What is left waits for the next batch, as in a BatchSpanProcessor's queue.
    for (const span of finished) memory.export([span], () => {});
  };

  let started = 0;
  const running: RunningTrajectory[] = [];
  while (started < options.trajectories || running.length > 0) {
    while (running.length < concurrent && started < options.trajectories) {
      running.push(startTrajectory(tracer, text, started++, distinctContents));
    }
    for (let index = running.length - 1; index >= 0; index--) {
      if (advance(tracer, text, running[index]!, options.calls, distinctContents)) running.splice(index, 1);
    }
    flush(false);
  }
  flush(true);
  await provider.shutdown();
  return { bodies, spans, trajectories: options.trajectories, distinctContents };
}
