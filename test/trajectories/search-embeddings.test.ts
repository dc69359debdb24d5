import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import type { TrajectorySummary } from '../../src/model/trajectory.ts';
import { createTraceExporter, exportSpans, exportSucceeded, recordSpans } from '../helpers/export-spans.ts';
import { startTestReceiver } from '../helpers/test-receiver.ts';
import { agentSpan, chat, clock, message, rewardSpan, text } from './golden-traces.ts';

/**
 * A local server speaking OpenAI's embeddings wire format. Its "model" puts words of one topic on one axis, so
 * a paraphrase with no shared n-grams still lands next to its topic, as a real embedding model would.
 */
const topics: Record<string, number> = {
  rain: 0,
  weather: 0,
  forecast: 0,
  umbrella: 0,
  multiply: 1,
  product: 1,
  times: 1,
  arithmetic: 1,
};
const embeddedInputs: string[] = [];
let embeddingServer: Server;
let receiver: Receiver;

function embed(input: string): number[] {
  const vector = [0, 0, 0.01];
  for (const word of input.toLowerCase().split(/\W+/)) {
    const axis = topics[word];
    if (axis !== undefined) vector[axis] = (vector[axis] as number) + 1;
  }
  return vector;
}

beforeAll(async () => {
  embeddingServer = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const { model, input } = JSON.parse(body) as { model: string; input: string[] };
      embeddedInputs.push(...input);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          object: 'list',
          model,
          data: input.map((text, index) => ({ object: 'embedding', index, embedding: embed(text) })),
          usage: { prompt_tokens: input.length, total_tokens: input.length },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => embeddingServer.listen(0, '127.0.0.1', resolve));
  const { port } = embeddingServer.address() as AddressInfo;
  receiver = await startTestReceiver({
    quietSeconds: 0,
    embeddingsUrl: `http://127.0.0.1:${port}/v1`,
    embeddingsModel: 'topic-model',
  });

  const hourAgo = Date.now() - 3_600_000;
  const spans = await recordSpans((tracer) => {
    for (const [index, task] of ['Check the weather forecast for Lyon', 'Multiply 17 by 23'].entries()) {
      const time = clock(hourAgo + index * 60_000);
      const agent = agentSpan(tracer, time, 0, { 'gen_ai.agent.name': 'helper', 'trajectory.task.description': task });
      const context = trace.setSpan(ROOT_CONTEXT, agent);
      chat(tracer, time, context, 1, 2, [message('user', text(task))], [message('assistant', text('done'))]);
      rewardSpan(tracer, time, context, 3, 1);
      agent.end(time.at(4));
    }
  });
  const exporter = createTraceExporter('http/protobuf', receiver);
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
  await receiver.flush();
});

afterAll(async () => {
  await receiver?.close();
  await new Promise((resolve) => embeddingServer?.close(resolve));
});

async function search(q: string): Promise<Array<TrajectorySummary & { similarity: number }>> {
  const response = await fetch(`${receiver.httpUrl}/v1/trajectories/search?q=${encodeURIComponent(q)}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { trajectories: Array<TrajectorySummary & { similarity: number }> }).trajectories;
}

describe('trajectory search with an embeddings endpoint', () => {
  it('ranks a paraphrase of a task first by embedding similarity', async () => {
    const found = await search('Do I need an umbrella? Will it rain?');
    expect(found.map((summary) => summary.task)).toEqual(['Check the weather forecast for Lyon', 'Multiply 17 by 23']);
    expect(found[0]!.similarity).toBeGreaterThan(0.9);
    expect(found[1]!.similarity).toBeLessThan(0.1);
    const arithmetic = await search('what is the product of two numbers, times');
    expect(arithmetic[0]!.task).toBe('Multiply 17 by 23');
  });

  it('embeds each task text once and keeps it cached in ClickHouse', async () => {
    const before = embeddedInputs.length;
    await search('rain again?');
    expect(embeddedInputs.slice(before)).toEqual(['rain again?']);
    expect(embeddedInputs.filter((input) => input === 'Check the weather forecast for Lyon')).toHaveLength(1);
  });

  it('answers 502 naming the endpoint when the embeddings endpoint fails', async () => {
    await new Promise((resolve) => embeddingServer.close(resolve));
    embeddingServer.closeAllConnections();
    const response = await fetch(
      `${receiver.httpUrl}/v1/trajectories/search?q=${encodeURIComponent('weather tomorrow')}`,
    );
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: string }).error).toMatch(
      /embeddings endpoint http:\/\/127\.0\.0\.1:\d+\/v1\/embeddings unreachable/,
    );
  });
});
