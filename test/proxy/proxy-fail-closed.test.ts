/**
 * `--proxy-fail-closed` while recordings are refused (a free-space reserve larger than any disk, as on a full
 * disk): the call is refused with 503 and Retry-After before the upstream is asked, so nothing unrecorded happens.
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
  receiver = await startTestReceiver({
    proxyUpstreams: `openai=${provider.baseUrl}`,
    proxyFailClosed: true,
    minFreeBytes: 10 ** 15,
  });
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  await provider?.close();
});

it('refuses the call before the upstream sees it', async () => {
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${receiver.httpUrl}/proxy/openai/v1`, maxRetries: 0 });
  const error = await client.chat.completions
    .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
    .catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(OpenAI.InternalServerError);
  expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
  expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('30');
  expect((error as Error).message).toContain('would not be recorded');
  expect(provider.calls).toHaveLength(0);
  const metrics = await (await fetch(`${receiver.httpUrl}/metrics`)).text();
  expect(metrics).toContain(
    'trajectories_proxy_calls_total{upstream="openai",protocol="openai-chat",outcome="refused"} 1',
  );
});
