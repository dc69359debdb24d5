/**
 * OTLP/HTTP admission under slow and stalled clients: the in-flight budget is charged for the bytes a client has
 * sent, not the size it declared, so trickling clients cannot refuse everyone else; a body that stalls is
 * answered 408 and its connection closed; headers that never finish get 408; connections are capped.
 */
import { scrapeMetric, waitFor } from '../helpers/prometheus-text.ts';
import { connect, type Socket } from 'node:net';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { startTestReceiver } from '../helpers/test-receiver.ts';

const budgetBytes = 1024 * 1024;
const maxConnections = 24;
let receiver: Receiver;
const openClients: Array<ClientRequest | Socket> = [];

beforeAll(async () => {
  receiver = await startTestReceiver({
    maxInflightBytes: budgetBytes,
    bodyIdleTimeoutMillis: 1000,
    headersTimeoutMillis: 1000,
    maxConnections,
  });
});

afterAll(async () => {
  await receiver.close();
});

afterEach(async () => {
  for (const client of openClients.splice(0)) client.destroy();
  // The server notices the closed sockets and releases what their requests held.
  await waitFor(async () => (await metric('trajectories_inflight_bytes')) === 0);
});

/** A sample of the receiver's /metrics, the first series whose name and labels start with `series`. */
function metric(series: string): Promise<number> {
  return scrapeMetric(receiver.httpUrl, series);
}

const validBody = JSON.stringify({
  resourceSpans: [
    {
      scopeSpans: [
        {
          spans: [
            {
              traceId: '5bf92f3577b34da6a3ce929d0e0e4736',
              spanId: '00f067aa0ba902b7',
              name: 'chat',
              kind: 3,
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000000500000000',
            },
          ],
        },
      ],
    },
  ],
});

function post(body: string): Promise<Response> {
  return fetch(`${receiver.httpUrl}/v1/traces`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json' },
  });
}

/**
 * A client that sends its headers and `firstBytes` of body, then a byte every 100 ms and never finishes:
 * chunked when `declaredLength` is undefined.
 */
function trickle(firstBytes: number, declaredLength?: number): Promise<number> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (declaredLength !== undefined) headers['Content-Length'] = String(declaredLength);
  const client = httpRequest(`${receiver.httpUrl}/v1/traces`, { method: 'POST', headers });
  openClients.push(client);
  const status = new Promise<number>((resolve) => {
    client.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    client.on('error', () => resolve(-1));
  });
  client.write(`{"resourceSpans": [${' '.repeat(Math.max(0, firstBytes - 19))}`);
  const timer = setInterval(() => client.write(' '), 100);
  client.on('close', () => clearInterval(timer));
  return status;
}

/** A raw connection: its response text, and when the server closed it. */
function rawConnection(): { socket: Socket; text: () => string; closed: Promise<void> } {
  const socket = connect(receiver.httpPort, '127.0.0.1');
  openClients.push(socket);
  let text = '';
  socket.on('data', (data) => (text += data.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, text: () => text, closed };
}

describe('OTLP/HTTP admission', () => {
  it('keeps accepting other clients while eight clients trickle bodies they declared at 32 MiB or send chunked', async () => {
    for (let client = 0; client < 4; client++) void trickle(100, 32 * 1024 * 1024);
    for (let client = 0; client < 4; client++) void trickle(100);
    await waitFor(async () => (await metric('trajectories_inflight_bytes')) >= 8 * 100);

    const accepted = await post(validBody);
    expect(accepted.status).toBe(200);
    // What the trickling clients hold is what they sent, far below the budget.
    expect(await metric('trajectories_inflight_bytes')).toBeLessThan(budgetBytes / 4);
  });

  it('refuses a body mid-read with 429 once the budget is spent, closes its connection and releases its bytes', async () => {
    // One client has sent 700 KiB of a body it has not finished: the budget holds that much.
    void trickle(700 * 1024, 2 * 1024 * 1024);
    await waitFor(async () => (await metric('trajectories_inflight_bytes')) >= 700 * 1024);

    const refused = await post(`{"resourceSpans": [${' '.repeat(600 * 1024)}]}`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('connection')).toBe('close');
    expect(((await refused.json()) as { message: string }).message).toMatch(/in flight/);
    // The refused request's bytes are returned: only the trickling client's remain.
    expect(await metric('trajectories_inflight_bytes')).toBeLessThan(800 * 1024);
    expect(await metric('trajectories_rejections_total{transport="http",reason="overloaded"}')).toBeGreaterThan(0);
  });

  it('answers 408 and closes the connection when a body stalls, and frees what it held', async () => {
    const connection = rawConnection();
    connection.socket.write(
      'POST /v1/traces HTTP/1.1\r\nHost: receiver\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n' +
        '{"resourceSpans": [',
    );
    await connection.closed;
    expect(connection.text()).toMatch(/^HTTP\/1\.1 408 /);
    expect(connection.text().toLowerCase()).toContain('connection: close');
    expect(connection.text()).toContain('TRAJECTORIES_BODY_IDLE_TIMEOUT_MS');
    expect(await metric('trajectories_rejections_total{transport="http",reason="timeout"}')).toBe(1);
    expect(await metric('trajectories_inflight_bytes')).toBe(0);
  });

  it('answers 408 and closes the connection when headers never finish', async () => {
    const connection = rawConnection();
    connection.socket.write('POST /v1/traces HTTP/1.1\r\nHost: rec');
    await connection.closed;
    expect(connection.text()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it(`closes connections beyond ${maxConnections} on accept and takes new ones once others close`, async () => {
    const connections = Array.from({ length: maxConnections + 1 }, () => rawConnection());
    let closedConnections = 0;
    for (const connection of connections) void connection.closed.then(() => closedConnections++);
    for (const connection of connections) connection.socket.write('GET /healthz HTTP/1.1\r\nHost: receiver\r\n\r\n');
    const answered = () => connections.filter((connection) => connection.text().startsWith('HTTP/1.1 200')).length;
    // Every connection is either answered or closed unanswered (the fetch client's own may hold a few places).
    await waitFor(() => Promise.resolve(answered() + closedConnections === connections.length));
    expect(answered()).toBeLessThanOrEqual(maxConnections);
    expect(closedConnections).toBeGreaterThan(0);

    for (const connection of connections) connection.socket.destroy();
    await Promise.all(connections.map((connection) => connection.closed));
    expect((await post(validBody)).status).toBe(200);
  });
});
