/**
 * `GET /v1/trajectories/{id}/spans`, the timeline the dashboard draws: every span under the trajectory, a nested
 * agent's spans included and marked with its own trajectory, none of a parent's; scoped to the caller's tenant.
 * Spans are sent with the real SDK and OTLP exporter to a real receiver.
 */
import type { Tracer } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { createTraceExporter, exportSpans, exportSucceeded, recordSpans } from '../helpers/export-spans.ts';
import { startTestReceiver } from '../helpers/test-receiver.ts';
import { agentSpan, call, chat, clock, inside, message, text, tool } from '../trajectories/golden-traces.ts';

const tokenA = 'timeline-token-a';
const tokenB = 'timeline-token-b';
let receiver: Receiver;
let outerId: string;
let innerId: string;
let traceId: string;

async function get(path: string, token = tokenA): Promise<{ status: number; body: any }> {
  const response = await fetch(`${receiver.httpUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() };
}

function produceNestedRun(tracer: Tracer): void {
  const time = clock(Date.parse('2026-12-01T09:00:00Z'));
  const outer = agentSpan(tracer, time, 0, { 'gen_ai.agent.name': 'planner' });
  const context = inside(outer);
  chat(
    tracer,
    time,
    context,
    1,
    2,
    [message('user', text('plan it'))],
    [message('assistant', text(''), call('c1', 'search', {}))],
  );
  tool(tracer, time, context, 2, 3, 'search', 'c1', {}, 'found it', { error: true });
  const inner = agentSpan(tracer, time, 3, { 'gen_ai.agent.name': 'helper' }, context);
  chat(tracer, time, inside(inner), 3.5, 4, [message('user', text('help'))], [message('assistant', text('done'))]);
  inner.end(time.at(4.5));
  outer.end(time.at(5));
  traceId = outer.spanContext().traceId;
  outerId = `${traceId}-${outer.spanContext().spanId}`;
  innerId = `${traceId}-${inner.spanContext().spanId}`;
}

beforeAll(async () => {
  receiver = await startTestReceiver({ authTokens: `${tokenA}=team-a,${tokenB}=team-b` });
  const exporter = createTraceExporter('http/protobuf', {
    ...receiver,
    headers: { Authorization: `Bearer ${tokenA}` },
  });
  expect(exportSucceeded(await exportSpans(exporter, await recordSpans(produceNestedRun)))).toBe(true);
  await exporter.shutdown();
  await receiver.flush();
}, 60_000);

afterAll(async () => {
  await receiver?.close();
});

describe('GET /v1/trajectories/{id}/spans', () => {
  it('holds every span under the trajectory in start order, the nested agent marked as its own', async () => {
    const { status, body } = await get(`/v1/trajectories/${outerId}/spans`);
    expect(status).toBe(200);
    expect(body.trajectory_id).toBe(outerId);
    expect(body.trace_ids).toEqual([traceId]);
    expect(body.spans.map((span: any) => [span.kind, span.trajectory_id])).toEqual([
      ['agent', outerId],
      ['llm', outerId],
      ['tool', outerId],
      ['agent', innerId],
      ['llm', innerId],
    ]);
    const failedTool = body.spans[2];
    expect(failedTool).toMatchObject({
      tool_name: 'search',
      tool_call_id: 'c1',
      status: 'error',
      status_message: 'tool failed',
    });
    expect(body.spans[1]).toMatchObject({ model: 'gpt-4o', input_tokens: 10, output_tokens: 5 });
    // Lean: no content travels with a timeline.
    expect(Object.keys(body.spans[1])).not.toContain('input_messages');
    expect(BigInt(body.spans[1].end_time_unix_nano) - BigInt(body.spans[1].start_time_unix_nano)).toBe(1_000_000_000n);
  });

  it('holds only the nested trajectory for the nested agent', async () => {
    const { body } = await get(`/v1/trajectories/${innerId}/spans`);
    expect(body.spans.map((span: any) => [span.kind, span.trajectory_id])).toEqual([
      ['agent', innerId],
      ['llm', innerId],
    ]);
  });

  it('answers 404 for an unknown trajectory and for another tenant', async () => {
    expect((await get(`/v1/trajectories/${'0'.repeat(32)}/spans`)).status).toBe(404);
    expect((await get('/v1/trajectories/not-an-id/spans')).status).toBe(404);
    const other = await get(`/v1/trajectories/${outerId}/spans`, tokenB);
    expect(other.status).toBe(404);
    expect(other.body.error).toBe(`trajectory ${outerId} not found`);
  });
});
