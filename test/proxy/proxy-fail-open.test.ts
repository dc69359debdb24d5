/**
 * The proxy while recordings are refused: the disk under the write-ahead log is "below its reserve" (a reserve
 * larger than any disk), so every append is refused, as on a full disk. The agent's call still goes through,
 * answered as the upstream answered, and the lost recording is counted and logged.
 * (proxy-fail-closed.test.ts runs the other mode: one embedded store per process.)
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { startTestReceiver } from '../helpers/test-receiver.ts';
import { startProviderServer, type ProviderServer } from './provider-server.ts';

let receiver: Receiver;
let provider: ProviderServer;

beforeAll(async () => {
  provider = await startProviderServer();
  receiver = await startTestReceiver({ proxyUpstreams: `openai=${provider.baseUrl}`, minFreeBytes: 10 ** 15 });
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  await provider?.close();
});

it('answers the call and counts the recording it could not make', async () => {
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${receiver.httpUrl}/proxy/openai/v1`, maxRetries: 0 });
  const completion = await client.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'Weather in Paris?' }],
  });
  expect(completion.choices[0]?.message.tool_calls?.[0]).toMatchObject({ function: { name: 'get_weather' } });
  await expect
    .poll(async () =>
      (await (await fetch(`${receiver.httpUrl}/metrics`)).text())
        .match(/trajectories_proxy_recordings_total\{outcome="(\w+)"\} (\d+)/)
        ?.slice(1),
    )
    .toEqual(['unavailable', '1']);
  const metrics = await (await fetch(`${receiver.httpUrl}/metrics`)).text();
  expect(metrics).toContain('trajectories_proxy_calls_total{upstream="openai",protocol="openai-chat",outcome="2xx"} 1');
});
