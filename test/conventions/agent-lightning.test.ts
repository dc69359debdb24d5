/**
 * The Agent Lightning mapping, on fixtures spelled from microsoft/agent-lightning's `semconv.py` and reward
 * emitter (a Python library: its spans cannot be produced here): rollout / attempt ids on the resource,
 * multi-dimensional `agentlightning.reward.{i}.*` annotation spans, and the legacy `reward` attribute.
 */
import { describe, expect, test } from 'vitest';
import { mapSpan } from '../../src/conventions/index.ts';
import { fixtureSpan } from './fixture-span.ts';

const ROLLOUT_RESOURCE = {
  'service.name': 'agent',
  'agentlightning.rollout_id': 'ro-1',
  'agentlightning.attempt_id': 'at-1',
};

describe('Agent Lightning spans', () => {
  test('maps a multi-dimensional reward annotation span to a reward span, primary dimension first', () => {
    const mapping = mapSpan(
      fixtureSpan({
        name: 'agentlightning.annotation',
        resourceAttributes: ROLLOUT_RESOURCE,
        attributes: {
          'agentlightning.reward.0.name': 'task_completion',
          'agentlightning.reward.0.value': 1,
          'agentlightning.reward.1.name': 'efficiency',
          'agentlightning.reward.1.value': 0.75,
          'trajectory.reward.comment': 'solved in two steps',
        },
      }),
    );
    expect(mapping).toMatchObject({
      kind: 'reward',
      convention: 'agent-lightning',
      rollout_id: 'ro-1',
      attempt_id: 'at-1',
      rewards: [
        { name: 'task_completion', value: 1 },
        { name: 'efficiency', value: 0.75 },
      ],
    });
  });

  test('maps the legacy agentlightning.reward span with a bare reward attribute', () => {
    expect(mapSpan(fixtureSpan({ name: 'agentlightning.reward', attributes: { reward: 0.5 } }))).toMatchObject({
      kind: 'reward',
      convention: 'agent-lightning',
      rewards: [{ name: 'primary', value: 0.5 }],
    });
  });

  test('adds rollout ids from the resource to a GenAI span without taking over its convention', () => {
    const mapping = mapSpan(
      fixtureSpan({
        resourceAttributes: ROLLOUT_RESOURCE,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'qwen2.5',
          'gen_ai.usage.input_tokens': 12,
        },
      }),
    );
    expect(mapping).toMatchObject({
      kind: 'llm',
      convention: 'genai',
      model: 'qwen2.5',
      input_tokens: 12,
      rollout_id: 'ro-1',
      attempt_id: 'at-1',
    });
  });

  test('prefers span-level ids over the resource and ignores the empty ids set between rollouts', () => {
    const mapping = mapSpan(
      fixtureSpan({
        resourceAttributes: { 'agentlightning.rollout_id': '', 'agentlightning.attempt_id': '' },
        attributes: { 'agentlightning.rollout_id': 'ro-span' },
      }),
    );
    expect(mapping).toEqual({ kind: 'other', convention: 'agent-lightning', rollout_id: 'ro-span' });
    expect(mapSpan(fixtureSpan({ resourceAttributes: { 'agentlightning.rollout_id': '' } })).convention).toBe('none');
  });
});
