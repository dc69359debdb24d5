import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamJson } from '../../collector/api/stream-json.ts';

let server: Server;
let body: unknown;
let url: string;

beforeAll(async () => {
  server = createServer((_request, response) => void streamJson(response, 200, body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const turn = (index: number) => ({
  index,
  text: `step ${index} "quoted" \u2028 ünïcode`,
  skipped: undefined,
  output: index % 3 === 0 ? null : { role: 'assistant', parts: [{ type: 'text', content: 'x'.repeat(200) }] },
  values: [1.5, -0, 1e21, undefined, true],
});

describe('streamJson', () => {
  it('sends a small body as JSON.stringify does, with Content-Length', async () => {
    body = { id: 'a', turns: [turn(1), turn(2)], missing: undefined };
    const answer = await fetch(url);
    expect(answer.headers.get('content-length')).toBe(String(Buffer.byteLength(JSON.stringify(body))));
    expect(await answer.text()).toBe(JSON.stringify(body));
  });

  it('streams a large body in chunks with the bytes JSON.stringify would give', async () => {
    body = {
      id: 'large',
      summary: { turns: 20_000, tools: Array.from({ length: 100 }, (_, index) => `tool-${index}`) },
      dropped: undefined,
      turns: Array.from({ length: 20_000 }, (_, index) => (index === 7 ? undefined : turn(index))),
      nested: [Array.from({ length: 200 }, (_, index) => ({ index, gone: undefined }))],
    };
    const answer = await fetch(url);
    expect(answer.headers.get('content-length')).toBeNull();
    expect(answer.headers.get('transfer-encoding')).toBe('chunked');
    expect(await answer.text()).toBe(JSON.stringify(body));
  });
});
