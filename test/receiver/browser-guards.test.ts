/**
 * The JSON API against a browser on the operator's machine: it answers only Host names it was given (DNS
 * rebinding), takes state-changing requests only as application/json (cross-site simple POSTs), and every answer
 * says nosniff. OTLP ingest and the probes answer any Host. A non-loopback host without tokens needs --insecure.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOpenReceiver, isLoopbackHost } from '../../collector/auth/open-receiver-check.ts';
import { allowedHostNames, hostName } from '../../collector/http/browser-guards.ts';
import type { Receiver } from '../../collector/receiver.ts';
import { startReceiver } from '../../collector/receiver.ts';
import { startTestReceiver, temporaryDirectory } from '../helpers/test-receiver.ts';

let receiver: Receiver;

beforeAll(async () => {
  // Listening on every interface, open on purpose: the Host check is what stands between it and a rebinding page.
  receiver = await startTestReceiver({
    host: '0.0.0.0',
    insecure: true,
    grpcPort: -1,
    allowedHosts: 'trajectories.internal, Other.Example',
  });
});
afterAll(async () => {
  await receiver?.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port: receiver.httpPort, method, path, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const otlpBody = JSON.stringify({
  resourceSpans: [
    {
      scopeSpans: [
        {
          spans: [
            {
              traceId: '7bf92f3577b34da6a3ce929d0e0e4736',
              spanId: '00000000000000a1',
              name: 'chat',
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000000500000000',
            },
          ],
        },
      ],
    },
  ],
});

describe('API Host check (DNS rebinding)', () => {
  it('refuses a Host name it was not given, naming the fix', async () => {
    const answer = await send('GET', '/v1/trajectories', { Host: `evil.example:${receiver.httpPort}` });
    expect(answer.status).toBe(421);
    expect(JSON.parse(answer.body).error).toMatch(/--allowed-hosts/);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers the loopback names and the --allowed-hosts names, with or without a port', async () => {
    for (const host of [
      `127.0.0.1:${receiver.httpPort}`,
      `localhost:${receiver.httpPort}`,
      `[::1]:${receiver.httpPort}`,
      'trajectories.internal',
      `other.example:${receiver.httpPort}`,
    ]) {
      expect((await send('GET', '/v1/trajectories', { Host: host })).status, host).toBe(200);
    }
  });

  it('lets OTLP ingest and the probes answer any Host', async () => {
    const evil = { Host: 'collector.example' };
    const ingest = await send('POST', '/v1/traces', { ...evil, 'Content-Type': 'application/json' }, otlpBody);
    expect(ingest.status).toBe(200);
    expect(ingest.headers['x-content-type-options']).toBe('nosniff');
    expect((await send('GET', '/healthz', evil)).status).toBe(200);
    expect((await send('GET', '/metrics', evil)).status).toBe(200);
  });

  it('parses Host headers into names', () => {
    expect(hostName('Example.COM:4318')).toBe('example.com');
    expect(hostName('[::1]:4318')).toBe('::1');
    expect(hostName('[::1]')).toBe('::1');
    expect(hostName('')).toBe('');
    expect([...allowedHostNames('0.0.0.0', undefined)].sort()).toEqual(['127.0.0.1', '::1', 'localhost']);
    expect(allowedHostNames('10.1.2.3', 'a.example,,b.example ').has('10.1.2.3')).toBe(true);
    expect(allowedHostNames('10.1.2.3', 'a.example,,b.example ').has('b.example')).toBe(true);
  });
});

describe('state-changing API requests take only JSON', () => {
  const host = () => ({ Host: `127.0.0.1:${receiver.httpPort}` });

  it('answers 415 to a form or text/plain POST, and to one without Content-Type', async () => {
    const path = `/v1/trajectories/${'ab'.repeat(16)}/rewards`;
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const answer = await send('POST', path, { ...host(), 'Content-Type': contentType }, '{"value":1}');
      expect(answer.status, contentType).toBe(415);
      expect(JSON.parse(answer.body).error).toMatch(/application\/json/);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    }
    expect((await send('POST', path, host(), '{"value":1}')).status).toBe(415);
  });

  it('passes a JSON POST on to the route', async () => {
    const answer = await send(
      'POST',
      `/v1/trajectories/${'ab'.repeat(16)}/rewards`,
      { ...host(), 'Content-Type': 'application/json; charset=utf-8' },
      '{"value":1}',
    );
    expect(answer.status).toBe(404);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('an open receiver on a non-loopback host', () => {
  it('is refused without tokens unless --insecure, with both fixes named', async () => {
    await expect(
      startReceiver({ host: '0.0.0.0', httpPort: 0, grpcPort: -1, dataDir: temporaryDirectory() }),
    ).rejects.toThrow(/refusing to listen on 0\.0\.0\.0 without auth tokens.*--auth-tokens.*--insecure/s);
    expect(() => checkOpenReceiver({ host: '10.0.0.5', hasTokens: true, insecure: false })).not.toThrow();
    expect(() => checkOpenReceiver({ host: '10.0.0.5', hasTokens: false, insecure: true })).not.toThrow();
    expect(() => checkOpenReceiver({ host: '::', hasTokens: false, insecure: false })).toThrow(/--insecure/);
  });

  it('treats only loopback addresses as loopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1'])
      expect(isLoopbackHost(host), host).toBe(false);
  });
});
