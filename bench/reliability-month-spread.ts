/**
 * Scenario: one request whose spans start in 120 different months (a client with a bad clock, or a backfill),
 * then normal traffic. Passes if the normal traffic is readable through `GET /v1/traces/{id}` within the deadline,
 * that is, if the spread request cannot hold up what is acknowledged after it. The spread request's own answer and
 * whether it was stored are reported beside the verdict; either outcome (stored, or refused with a clear 4xx) is
 * acceptable, holding up other traffic is not.
 */
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Agent } from 'node:http';
import { temporaryDirectory } from '../test/helpers/test-receiver.ts';
import { RetryingClients, UniqueRequests } from './reliability-clients.ts';
import {
  freePort,
  lastLines,
  logPathBeside,
  openLogFile,
  spawnReceiver,
  stopReceiver,
} from './reliability-receiver.ts';
import type { ScenarioVerdict } from './reliability-scenario.ts';
import { post } from './receiver-process.ts';

const months = 120;

/** One trace of `months` chat spans, span i starting on the 15th of month i counted from January 2015. */
async function monthSpreadRequest(): Promise<{ body: Uint8Array; traceId: string }> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-backfill' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('bench', '1.0.0');
  const firstStart = new Date(Date.UTC(2015, 0, 15));
  const agent = tracer.startSpan('invoke_agent backfill', {
    startTime: firstStart,
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'backfill' },
  });
  const context = trace.setSpan(ROOT_CONTEXT, agent);
  for (let month = 1; month < months; month++) {
    const startTime = new Date(Date.UTC(2015, month, 15));
    const chat = tracer.startSpan(
      'chat gpt-4o-mini',
      {
        kind: SpanKind.CLIENT,
        startTime,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.input.messages': JSON.stringify([
            { role: 'user', parts: [{ type: 'text', content: `Summarize month ${month}` }] },
          ]),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: `Month ${month} summary` }], finish_reason: 'stop' },
          ]),
        },
      },
      context,
    );
    chat.end(new Date(startTime.getTime() + 1000));
  }
  agent.end(new Date(Date.UTC(2015, months - 1, 16)));
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  const body = ProtobufTraceSerializer.serializeRequest(spans);
  if (!body) throw new Error('serializer produced no body');
  return { body, traceId: agent.spanContext().traceId };
}

async function traceStored(url: string, traceId: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/v1/traces/${traceId}`, { signal: AbortSignal.timeout(5000) })).status === 200;
  } catch {
    return false;
  }
}

export async function monthSpreadScenario(options: {
  bodies: Uint8Array[];
  deadlineSeconds: number;
}): Promise<ScenarioVerdict> {
  const name = `${months} months in one request, then normal traffic`;
  const dataDir = temporaryDirectory('bench-reliability-months-');
  const logPath = logPathBeside(dataDir);
  const logFile = openLogFile(logPath);
  const receiver = spawnReceiver({ dataDir, port: await freePort(), logFile });
  try {
    await receiver.ready;
    const spread = await monthSpreadRequest();
    const agent = new Agent({ keepAlive: true });
    const spreadStatus = await post(agent, new URL(`${receiver.url}/v1/traces`), spread.body);
    agent.destroy();

    const requests = new UniqueRequests(options.bodies);
    const clients = new RetryingClients({
      endpoint: new URL(`${receiver.url}/v1/traces`),
      requests,
      clients: 2,
      onAccepted: () => undefined,
    });
    clients.start();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await clients.finish();
    const lastAcknowledged = Math.max(...clients.acknowledged);
    const lastTraceId = requests.keysOf(lastAcknowledged).at(-1)!.split('/')[0]!;
    const acknowledgedAt = performance.now();
    const deadline = acknowledgedAt + options.deadlineSeconds * 1000;
    let storedAfter: number | undefined;
    while (performance.now() < deadline) {
      if (await traceStored(receiver.url, lastTraceId)) {
        storedAfter = performance.now() - acknowledgedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const spreadStored = spreadStatus === 200 && (await traceStored(receiver.url, spread.traceId));
    const spreadOutcome = `the ${months}-month request answered ${spreadStatus}${spreadStatus === 200 ? `, ${spreadStored ? 'stored' : 'not stored'}` : ''}`;
    return storedAfter === undefined
      ? {
          name,
          passed: false,
          detail: `${clients.acknowledgedSpans} later spans acknowledged, the last not stored within ${options.deadlineSeconds} s; ${spreadOutcome}; log ${logPath}`,
        }
      : {
          name,
          passed: true,
          detail: `${clients.acknowledgedSpans} later spans acknowledged, the last stored ${(storedAfter / 1000).toFixed(1)} s after its ack; ${spreadOutcome}`,
        };
  } catch (error) {
    return { name, passed: false, detail: `${(error as Error).message}; ${lastLines(logPath, 3)}` };
  } finally {
    await stopReceiver(receiver, 15_000);
    logFile.end();
  }
}
