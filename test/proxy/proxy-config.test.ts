/** The proxy's pure parts: its upstream option and the identity rules of a call (no network, no store). */
import { describe, expect, it } from 'vitest';
import { callIdentity, parseTraceparent, traceIdForTrajectoryHeader } from '../../collector/proxy/call-identity.ts';
import { parseProxyUpstreams } from '../../collector/proxy/proxy-upstreams.ts';

describe('parseProxyUpstreams', () => {
  it('reads name=base-url pairs, dropping a trailing /v1 and slashes', () => {
    const upstreams = parseProxyUpstreams(
      'openai=https://api.openai.com/v1/, vllm=http://gpu-1:8000,gw=https://llm.internal/openai',
    );
    expect([...upstreams.values()].map((upstream) => [upstream.name, upstream.baseUrl.href])).toEqual([
      ['openai', 'https://api.openai.com/'],
      ['vllm', 'http://gpu-1:8000/'],
      ['gw', 'https://llm.internal/openai'],
    ]);
    expect(parseProxyUpstreams('').size).toBe(0);
  });

  it('refuses what it cannot forward to, naming the entry and the form', () => {
    expect(() => parseProxyUpstreams('https://api.openai.com')).toThrow(/expected name=base-url/);
    expect(() => parseProxyUpstreams('a=ftp://x')).toThrow(/http or https/);
    expect(() => parseProxyUpstreams('a=not a url')).toThrow(/is not a URL/);
    expect(() => parseProxyUpstreams('a=https://user:pw@x')).toThrow(/no query, fragment or credentials/);
    expect(() => parseProxyUpstreams('a=http://x,a=http://y')).toThrow(/named twice/);
  });
});

describe('callIdentity', () => {
  it('takes traceparent first, then the rollout path, then x-trajectory-id, else a new trace', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const headers = { traceparent, 'x-trajectory-id': 'run-1', 'x-task-id': 't', 'x-agent-name': 'a' };
    expect(callIdentity(headers, { rolloutId: 'r', attemptId: 'a1' })).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentSpanId: '00f067aa0ba902b7',
      attributes: {
        'trajectory.task.id': 't',
        'gen_ai.agent.name': 'a',
        'gen_ai.conversation.id': 'run-1',
        'agentlightning.rollout_id': 'r',
        'agentlightning.attempt_id': 'a1',
      },
    });
    const rollout = callIdentity({}, { rolloutId: 'r', attemptId: 'a1' });
    expect(rollout.traceId).toBe(callIdentity({}, { rolloutId: 'r', attemptId: 'a1' }).traceId);
    expect(rollout.traceId).not.toBe(callIdentity({}, { rolloutId: 'r', attemptId: 'a2' }).traceId);
    expect(callIdentity({ 'x-trajectory-id': 'run-1' }, undefined).traceId).toBe(traceIdForTrajectoryHeader('run-1'));
    const fresh = [callIdentity({}, undefined).traceId, callIdentity({}, undefined).traceId];
    expect(fresh[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh[0]).not.toBe(fresh[1]);
  });

  it('ignores malformed and invalid traceparents', () => {
    expect(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeUndefined();
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01')).toBeUndefined();
    expect(parseTraceparent('ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBeUndefined();
    expect(parseTraceparent('garbage')).toBeUndefined();
    expect(callIdentity({ traceparent: 'garbage', 'x-trajectory-id': 'run-2' }, undefined).traceId).toBe(
      traceIdForTrajectoryHeader('run-2'),
    );
  });
});
