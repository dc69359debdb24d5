/**
 * Realistic GenAI agent spans for benchmarks, produced with the real OpenTelemetry SDK and encoded with the real
 * OTLP protobuf serializer: per trace one invoke_agent span, three chat calls whose prompts grow with the
 * conversation (system prompt, user task, tool calls and results), and two tool executions.
 */
import { ROOT_CONTEXT, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/**
 * `full`: a 600-character system prompt, 400-character answers and 600-character tool results (about 1.5 KB of
 * protobuf per span); `compact`: one-line prompts, answers and results (about 0.5 KB per span).
 */
export type SpanContent = 'full' | 'compact';

let systemPrompt = '';
let answerLength = 0;
let resultLength = 0;

function useContent(content: SpanContent): void {
  const full = content === 'full';
  systemPrompt =
    'You are a meticulous research agent. Use the tools to find facts, cite them, and answer concisely. '.repeat(
      full ? 6 : 1,
    );
  answerLength = full ? 400 : 40;
  resultLength = full ? 600 : 40;
}

function produceTrace(tracer: Tracer, index: number): void {
  const agent = tracer.startSpan('invoke_agent researcher', {
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'researcher',
      'trajectory.task.id': `task-${index % 50}`,
    },
  });
  const context = trace.setSpan(ROOT_CONTEXT, agent);
  const conversation: unknown[] = [
    {
      role: 'user',
      parts: [{ type: 'text', content: `Question ${index}: what happened in year ${1900 + (index % 120)}?` }],
    },
  ];
  for (let turn = 0; turn < 3; turn++) {
    const callId = `call_${index}_${turn}`;
    const output =
      turn < 2
        ? [
            {
              role: 'assistant',
              parts: [
                { type: 'tool_call', id: callId, name: 'search', arguments: { query: `events ${index} ${turn}` } },
              ],
              finish_reason: 'tool_call',
            },
          ]
        : [
            {
              role: 'assistant',
              parts: [{ type: 'text', content: `Final answer for ${index}: `.padEnd(answerLength, 'lorem ipsum ') }],
              finish_reason: 'stop',
            },
          ];
    const chat = tracer.startSpan(
      'chat gpt-4o-mini',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
          'gen_ai.response.id': `chatcmpl-${index}-${turn}`,
          'gen_ai.response.finish_reasons': [turn < 2 ? 'tool_call' : 'stop'],
          'gen_ai.usage.input_tokens': 800 + turn * 300,
          'gen_ai.usage.output_tokens': 60,
          'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: systemPrompt }]),
          'gen_ai.input.messages': JSON.stringify(conversation),
          'gen_ai.output.messages': JSON.stringify(output),
        },
      },
      context,
    );
    chat.end();
    conversation.push(output[0]);
    if (turn < 2) {
      const result = `Result ${turn} for ${index}: `.padEnd(resultLength, 'fact ');
      const tool = tracer.startSpan(
        'execute_tool search',
        {
          attributes: {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': 'search',
            'gen_ai.tool.call.id': callId,
            'gen_ai.tool.call.arguments': JSON.stringify({ query: `events ${index} ${turn}` }),
            'gen_ai.tool.call.result': result,
          },
        },
        context,
      );
      tool.end();
      conversation.push({ role: 'tool', parts: [{ type: 'tool_call_response', id: callId, response: result }] });
    }
  }
  agent.end();
}

/** Encoded ExportTraceServiceRequest bodies, each with `tracesPerRequest` traces of 6 spans. */
export async function encodedAgentRequests(
  requests: number,
  tracesPerRequest: number,
  content: SpanContent = 'full',
): Promise<{ bodies: Uint8Array[]; spans: number }> {
  useContent(content);
  const bodies: Uint8Array[] = [];
  let spans = 0;
  let traceIndex = 0;
  for (let request = 0; request < requests; request++) {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'bench-agent', 'service.version': '1.0.0' }),
      spanProcessors: [new SimpleSpanProcessor(memory)],
    });
    const tracer = provider.getTracer('bench', '1.0.0');
    for (let index = 0; index < tracesPerRequest; index++) produceTrace(tracer, traceIndex++);
    const finished: ReadableSpan[] = memory.getFinishedSpans();
    spans += finished.length;
    const body = ProtobufTraceSerializer.serializeRequest(finished);
    if (!body) throw new Error('serializer produced no body');
    bodies.push(body);
    await provider.shutdown();
  }
  return { bodies, spans };
}
