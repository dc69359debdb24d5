/**
 * The LLM proxy end to end: unmodified clients (the `openai` and `@anthropic-ai/sdk` packages, plain `fetch`,
 * and `curl`) call a real receiver's `/proxy/...` endpoints in front of a local server speaking the providers'
 * protocols. Each answer must be what the upstream sent (streams relayed as they arrive, errors and Retry-After
 * passed through), and each call must come back from the API as the span of the trajectory it belongs to.
 * One receiver for the file, with auth on (the receiver's token in `x-trajectories-token`).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { traceIdForRollout, traceIdForTrajectoryHeader } from '../../collector/proxy/call-identity.ts';
import { queryRows, startTestReceiver } from '../helpers/test-receiver.ts';
import { chatAnswer, startProviderServer, type ProviderServer } from './provider-server.ts';

const token = 'proxy-test-token-a';
const providerKey = 'sk-provider-secret-key-123';
let receiver: Receiver;
let provider: ProviderServer;
let proxyBase: string;

function openai(trajectoryId: string, extra: Record<string, string> = {}): OpenAI {
  return new OpenAI({
    apiKey: providerKey,
    baseURL: `${proxyBase}/proxy/openai/v1`,
    maxRetries: 0,
    defaultHeaders: { 'x-trajectories-token': token, 'x-trajectory-id': trajectoryId, ...extra },
  });
}

/** The stored spans of a trace once `count` of them are in: a call is recorded after its answer has gone out. */
async function recordedSpans(traceId: string, count = 1): Promise<any[]> {
  let spans: any[] = [];
  await expect
    .poll(async () => {
      await receiver.flush();
      const response = await fetch(`${receiver.httpUrl}/v1/traces/${traceId}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      spans = response.status === 200 ? ((await response.json()) as { spans: any[] }).spans : [];
      return spans.length;
    })
    .toBe(count);
  return spans;
}

beforeAll(async () => {
  provider = await startProviderServer();
  receiver = await startTestReceiver({
    authTokens: `${token}=team-a`,
    proxyUpstreams: `openai=${provider.baseUrl},anthropic=${provider.baseUrl},down=http://127.0.0.1:9`,
    proxyTimeoutMillis: 500,
  });
  proxyBase = receiver.httpUrl;
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  await provider?.close();
});

describe('the LLM proxy', () => {
  it('forwards a chat completion unchanged and records it as the trajectory’s model call', async () => {
    const client = openai('run-chat', { 'x-task-id': 'weather-task', 'x-agent-name': 'polyglot' });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Weather in Paris?' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
    });
    expect(completion.choices[0]?.message.tool_calls?.[0]).toMatchObject({ function: { name: 'get_weather' } });
    const sent = provider.calls.at(-1)!;
    // Credentials go to the upstream; the receiver's token and identity headers do not.
    expect(sent.headers['authorization']).toBe(`Bearer ${providerKey}`);
    expect(sent.headers['x-trajectories-token']).toBeUndefined();
    expect(sent.headers['x-trajectory-id']).toBeUndefined();
    expect(sent.path).toBe('/v1/chat/completions');

    const [span] = await recordedSpans(traceIdForTrajectoryHeader('run-chat'));
    expect(span).toMatchObject({
      kind: 'llm',
      model: 'gpt-4o-mini',
      provider: 'openai',
      input_tokens: 31,
      output_tokens: 12,
      agent_name: 'polyglot',
      task_id: 'weather-task',
    });
    expect(span.input_messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Weather in Paris?' },
    ]);
    expect(span.output_messages[0].tool_calls).toEqual([
      { id: 'call_weather', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ]);
    // The provider's key is nowhere in the store.
    const leaks = await queryRows<{ n: number }>(
      receiver,
      `SELECT count() AS n FROM spans WHERE position(attributes, {key:String}) > 0 OR position(resource_attributes, {key:String}) > 0`,
      { key: providerKey },
    );
    expect(Number(leaks[0]?.n)).toBe(0);
  });

  it('relays a streamed chat completion as it arrives and records the whole answer', async () => {
    const client = openai('run-stream');
    const started = performance.now();
    const stream = await client.chat.completions.create({
      model: 'trickle',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    const arrivals: number[] = [];
    let text = '';
    for await (const chunk of stream) {
      arrivals.push(performance.now() - started);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe(chatAnswer);
    // The upstream sends an event every 150 ms: relayed, the first arrives long before the last is sent.
    expect(arrivals[0]!).toBeLessThan(arrivals.at(-1)! - 600);
    const [span] = await recordedSpans(traceIdForTrajectoryHeader('run-stream'));
    expect(span.output_messages).toEqual([{ role: 'assistant', content: chatAnswer, finish_reason: 'stop' }]);
    expect(span).toMatchObject({ input_tokens: 20, output_tokens: 7 });
  });

  it('forwards the Responses API, streamed and not', async () => {
    const client = openai('run-responses');
    const response = await client.responses.create({
      model: 'gpt-4.1',
      input: 'Weather in Paris?',
      instructions: 'Be brief.',
    });
    expect(response.output_text).toBe(chatAnswer);
    const events: string[] = [];
    for await (const event of await client.responses.create({ model: 'gpt-4.1', input: 'Again?', stream: true }))
      events.push(event.type);
    expect(events).toEqual(['response.created', 'response.output_text.delta', 'response.completed']);
    const spans = await recordedSpans(traceIdForTrajectoryHeader('run-responses'), 2);
    expect(spans).toHaveLength(2);
    for (const span of spans) expect(span.output_messages[0]).toMatchObject({ role: 'assistant', content: chatAnswer });
    expect(spans[0].input_messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris?' },
    ]);
  });

  it('forwards Anthropic messages from the Anthropic SDK, streamed and not', async () => {
    const client = new Anthropic({
      apiKey: providerKey,
      baseURL: `${proxyBase}/proxy/anthropic`,
      maxRetries: 0,
      defaultHeaders: { 'x-trajectories-token': token, 'x-trajectory-id': 'run-anthropic' },
    });
    const message = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    expect(message.content[1]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
    // This SDK version sends the key as a bearer token (older ones as x-api-key): either way it reaches the upstream.
    const sentKey = provider.calls.at(-1)!.headers;
    expect([sentKey['x-api-key'], sentKey['authorization']]).toContain(`Bearer ${providerKey}`);
    const streamed = await client.messages
      .stream({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'And now?' }] })
      .finalMessage();
    expect(streamed.content).toHaveLength(1);
    expect(streamed.content[0]).toMatchObject({ type: 'text', text: 'The weather in Paris is sunny.' });
    const spans = await recordedSpans(traceIdForTrajectoryHeader('run-anthropic'), 2);
    expect(spans.map((span) => span.provider)).toEqual(['anthropic', 'anthropic']);
    expect(spans[0].output_messages[0].tool_calls[0].function).toEqual({
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    });
    expect(spans[1].output_messages[0]).toMatchObject({ role: 'assistant', content: 'The weather in Paris is sunny.' });
    expect(spans[1]).toMatchObject({ input_tokens: 40, output_tokens: 9 });
  });

  it('serves a plain fetch and curl (legacy completions) the same way', async () => {
    const body = JSON.stringify({ model: 'gpt-3.5-turbo-instruct', prompt: 'The weather in Paris is' });
    const headers = {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${providerKey}`,
      'x-trajectories-token': token,
      'x-trajectory-id': 'run-plain',
    };
    const fetched = await fetch(`${proxyBase}/proxy/openai/v1/completions`, { method: 'POST', headers, body });
    expect(fetched.status).toBe(200);
    const direct = await fetch(`${provider.baseUrl}/v1/completions`, { method: 'POST', headers, body });
    expect(await fetched.text()).toBe(await direct.text());
    // Not spawnSync: the receiver runs in this process and must answer while curl waits.
    const curl = await promisify(execFile)(
      'curl',
      [
        '-sS',
        `${proxyBase}/proxy/openai/v1/completions`,
        ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
        '-d',
        body,
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(curl.stdout).choices[0].text).toBe(' sunny.');
    const spans = await recordedSpans(traceIdForTrajectoryHeader('run-plain'), 2);
    expect(spans).toHaveLength(2);
    expect(spans[0].output_messages[0]).toMatchObject({ role: 'assistant', content: ' sunny.' });
  });

  it('passes upstream errors and Retry-After through, and answers for an unreachable or silent upstream', async () => {
    const client = openai('run-errors');
    const error = await client.chat.completions
      .create({ model: 'rate-limited', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('7');
    expect((error as Error).message).toContain('Rate limit reached');

    const headers = {
      'Content-Type': 'application/json',
      'x-trajectories-token': token,
      'x-trajectory-id': 'run-errors',
    };
    const down = await fetch(`${proxyBase}/proxy/down/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: '{"model":"m"}',
    });
    expect(down.status).toBe(502);
    expect(((await down.json()) as any).error.message).toContain('unreachable');
    const slow = await fetch(`${proxyBase}/proxy/openai/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: '{"model":"slow"}',
    });
    expect(slow.status).toBe(504);
    const form = await fetch(`${proxyBase}/proxy/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', 'x-trajectories-token': token },
      body: '{"model":"gpt-4o"}',
    });
    expect(form.status).toBe(415);
    const unknown = await fetch(`${proxyBase}/proxy/nowhere/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: '{}',
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error.message).toContain('no proxy upstream named "nowhere"');

    const spans = await recordedSpans(traceIdForTrajectoryHeader('run-errors'), 3);
    // The 429, the unreachable upstream and the timeout are recorded as failed calls; the unknown upstream was never a call.
    expect(spans.map((span) => [span.status, span.error_type]).sort()).toEqual([
      ['error', '429'],
      ['error', 'connection_error'],
      ['error', 'timeout'],
    ]);
  });

  it('cancels the upstream call when the client goes away', async () => {
    const controller = new AbortController();
    const pending = fetch(`${proxyBase}/proxy/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'x-trajectories-token': token, 'x-trajectory-id': 'run-abort' },
      body: JSON.stringify({ model: 'hang', messages: [] }),
      signal: controller.signal,
    });
    await expect.poll(() => provider.calls.some((call) => call.body['model'] === 'hang')).toBe(true);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await expect.poll(() => provider.calls.find((call) => call.body['model'] === 'hang')?.aborted).toBe(true);
    const [span] = await recordedSpans(traceIdForTrajectoryHeader('run-abort'));
    expect(span).toMatchObject({ status: 'error', error_type: 'client_aborted' });
  });

  it('refuses a call without the receiver’s token, in the provider’s error shape', async () => {
    const client = new OpenAI({ apiKey: providerKey, baseURL: `${proxyBase}/proxy/openai/v1`, maxRetries: 0 });
    const error = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as Error).message).toContain('x-trajectories-token');
  });

  it('joins the agent’s trace from traceparent and Agent Lightning rollouts from the path', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const client = openai('ignored-when-traceparent', { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'traced' }] });
    const [joined] = await recordedSpans(traceId);
    expect(joined.parent_span_id).toBe('00f067aa0ba902b7');

    const rollout = new OpenAI({
      apiKey: providerKey,
      baseURL: `${proxyBase}/proxy/openai/rollout/ro-7/attempt/at-1/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-trajectories-token': token },
    });
    await rollout.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'step 1' }] });
    await rollout.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'step 2' }] });
    const spans = await recordedSpans(traceIdForRollout('ro-7', 'at-1'), 2);
    expect(spans.map((span) => [span.rollout_id, span.attempt_id])).toEqual([
      ['ro-7', 'at-1'],
      ['ro-7', 'at-1'],
    ]);
    const trajectory = await fetch(`${receiver.httpUrl}/v1/trajectories/al-ro-7.at-1`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(trajectory.status).toBe(200);
    expect(((await trajectory.json()) as any).turns).toHaveLength(2);
  });

  it('handles concurrent streamed calls and large bodies', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, index) => {
        const stream = await openai(`run-concurrent-${index}`).chat.completions.create({
          model: 'gpt-4o',
          stream: true,
          messages: [{ role: 'user', content: `call ${index}` }],
        });
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        return text;
      }),
    );
    expect(new Set(results)).toEqual(new Set([chatAnswer]));
    const big = 'x'.repeat(5 * 1024 * 1024);
    const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: big }] });
    const response = await fetch(`${proxyBase}/proxy/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'x-trajectories-token': token, 'x-trajectory-id': 'run-big' },
      body,
    });
    expect(response.status).toBe(200);
    expect(provider.calls.at(-1)!.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
    const [span] = await recordedSpans(traceIdForTrajectoryHeader('run-big'));
    expect(span.input_messages[0].content).toHaveLength(big.length);
  });
});
