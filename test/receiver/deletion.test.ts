/**
 * Deleting a trace, a trajectory and a whole tenant through the API, with the real receiver: afterwards no read
 * path (trace, trajectory list and fetch, search, analytics, context, the SQL port) returns them, no table holds a
 * row of them, a client's retry does not bring them back, and neither does a restart on the same data directory.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import {
  createTraceExporter,
  exportSpans,
  exportSucceeded,
  produceAgentRun,
  recordSpans,
} from '../helpers/export-spans.ts';
import { queryRows, startTestReceiver, temporaryDirectory, traceRowCounts } from '../helpers/test-receiver.ts';
import { runCli } from '../cli/run-cli.ts';

const dataDir = temporaryDirectory('deletion-');
const options = { dataDir, authTokens: 'token-aaaa=team-a,token-bbbb=team-b', quietSeconds: 1 };
let receiver: Receiver;
const runs = new Map<string, ReadableSpan[]>();

async function send(token: string, spans: ReadableSpan[]): Promise<void> {
  const exporter = createTraceExporter('http/protobuf', { ...receiver, headers: { Authorization: `Bearer ${token}` } });
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
}

async function record(label: string): Promise<ReadableSpan[]> {
  const spans = await recordSpans((tracer) => produceAgentRun(tracer, label));
  runs.set(label, spans);
  return spans;
}

const traceOf = (label: string) => runs.get(label)![0]!.spanContext().traceId;

async function api(method: string, path: string, token = 'token-aaaa') {
  const response = await fetch(`${receiver.httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });
  return { status: response.status, body: (await response.json()) as any };
}

const rowsOf = (traceId: string) => traceRowCounts(receiver, traceId);

beforeAll(async () => {
  receiver = await startTestReceiver(options);
  await send('token-aaaa', await record('paris'));
  await send('token-aaaa', await record('london'));
  await send('token-aaaa', await record('rome'));
  await send('token-bbbb', await record('berlin'));
  await receiver.flush();
}, 60_000);

afterAll(async () => {
  await receiver?.close();
});

describe('DELETE /v1/traces/{trace_id}', () => {
  it('removes the trace from every table and every read path', async () => {
    const paris = traceOf('paris');
    expect(Object.keys(await rowsOf(paris))).toEqual(
      expect.arrayContaining(['spans', 'trajectory_summaries', 'trace_words']),
    );
    const { status, body } = await api('DELETE', `/v1/traces/${paris}`);
    expect(status).toBe(200);
    expect(body.deleted.traces).toEqual([paris]);
    expect(body.deleted.trajectories).toHaveLength(1);

    expect(await rowsOf(paris)).toEqual({});
    expect((await api('GET', `/v1/traces/${paris}`)).status).toBe(404);
    expect((await api('GET', `/v1/trajectories/${body.deleted.trajectories[0]}`)).status).toBe(404);
    const list = (await api('GET', '/v1/trajectories')).body.trajectories.map((t: any) => t.trace_id);
    expect(list).not.toContain(paris);
    expect(list).toContain(traceOf('london'));
    const search = (await api('GET', '/v1/trajectories/search?q=what+is+the+paris')).body.trajectories;
    expect(search.map((t: any) => t.trace_id)).not.toContain(paris);
    expect((await api('GET', '/v1/analytics/summary')).body.summary.trajectories).toBe(2);
  });

  it('is idempotent, and refuses what is not a trace id', async () => {
    expect((await api('DELETE', `/v1/traces/${traceOf('paris')}`)).status).toBe(200);
    const bad = await api('DELETE', '/v1/traces/not-a-trace');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/trace_id/);
  });

  it('keeps a retried export of the deleted trace out', async () => {
    await send('token-aaaa', runs.get('paris')!);
    await receiver.flush();
    expect(await rowsOf(traceOf('paris'))).toEqual({});
  });

  it('keeps it out after a restart on the same data directory', async () => {
    await receiver.close();
    receiver = await startTestReceiver(options);
    await send('token-aaaa', runs.get('paris')!);
    await receiver.flush();
    expect(await rowsOf(traceOf('paris'))).toEqual({});
    // What was not deleted is all there.
    expect((await rowsOf(traceOf('london'))).spans).toBeGreaterThan(0);
  }, 60_000);

  it("cannot delete another tenant's trace", async () => {
    const berlin = traceOf('berlin');
    expect((await api('DELETE', `/v1/traces/${berlin}`, 'token-aaaa')).status).toBe(200);
    expect((await rowsOf(berlin)).spans).toBeGreaterThan(0);
    // team-a's tombstone does not keep team-b's spans of that trace out either.
    await send('token-bbbb', runs.get('berlin')!);
    await receiver.flush();
    expect((await rowsOf(berlin)).spans).toBeGreaterThan(0);
  });
});

describe('DELETE /v1/trajectories/{id} and /v1/tenant', () => {
  it('removes the traces a trajectory is made of', async () => {
    const london = (await api('GET', '/v1/trajectories')).body.trajectories.find(
      (t: any) => t.trace_id === traceOf('london'),
    );
    const { status, body } = await api('DELETE', `/v1/trajectories/${london.id}`);
    expect(status).toBe(200);
    expect(body.deleted).toEqual({ traces: [traceOf('london')], trajectories: [london.id] });
    expect(await rowsOf(traceOf('london'))).toEqual({});
    expect((await api('DELETE', '/v1/trajectories/%20nope')).status).toBe(400);
  });

  it('removes everything of the caller’s tenant and nothing of another', async () => {
    const { status, body } = await api('DELETE', '/v1/tenant', 'token-bbbb');
    expect(status).toBe(200);
    expect(body.deleted).toEqual({ tenant: 'team-b' });
    const left = await queryRows<{ tenant: string }>(receiver, 'SELECT DISTINCT tenant FROM spans');
    expect(left).toEqual([{ tenant: 'team-a' }]);
    expect((await api('GET', '/v1/trajectories', 'token-bbbb')).body.trajectories).toEqual([]);
    expect((await rowsOf(traceOf('rome'))).spans).toBeGreaterThan(0);
    // New data of the tenant is new: it is stored.
    await send('token-bbbb', await record('madrid'));
    await receiver.flush();
    expect((await rowsOf(traceOf('madrid'))).spans).toBeGreaterThan(0);
  });

  it('works from the command line', async () => {
    const rome = traceOf('rome');
    const result = await runCli(['delete', '--trace', rome, '--receiver', receiver.httpUrl, '--token', 'token-aaaa']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`deleted 1 trace(s) and 1 trajectory(ies): ${rome}`);
    expect(await rowsOf(rome)).toEqual({});
    const both = await runCli(['delete', '--trace', rome, '--tenant', '--receiver', receiver.httpUrl]);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('exactly one of');
  });

  it('needs the JSON content type, as every state-changing API call', async () => {
    const response = await fetch(`${receiver.httpUrl}/v1/traces/${traceOf('madrid')}`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer token-bbbb' },
    });
    expect(response.status).toBe(415);
    expect((await rowsOf(traceOf('madrid'))).spans).toBeGreaterThan(0);
  });
});
