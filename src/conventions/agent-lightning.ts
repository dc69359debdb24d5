/**
 * Microsoft Agent Lightning. Its tracer puts `agentlightning.rollout_id` / `agentlightning.attempt_id` on the
 * resource (its LLM proxy and some tracers on span attributes), which identify the trajectory of any span. Rewards
 * are `agentlightning.annotation` spans carrying `agentlightning.reward.{i}.name` / `.value` (v0.3+; the first
 * dimension is the primary reward); earlier releases emitted a span named `agentlightning.reward` (v0.2 also
 * `agentlightning.annotation`) with a bare numeric `reward` attribute. Token ids its vLLM proxy records
 * (`prompt_token_ids`, `response_token_ids`) stay in the original attributes.
 */
import type { Attributes, OtlpSpan } from '../model/otlp.ts';
import type { RewardValue, SpanMapping } from '../model/span.ts';
import type { ConventionMapper, ConventionMatch } from './convention-mapper.ts';
import { readNumber, readString } from './attributes.ts';
import { addIndexedKey, indexedChildren, valueAt, type IndexedNode } from './indexed-attributes.ts';

const REWARD_PREFIX = 'agentlightning.reward.';
const LEGACY_REWARD_SPAN_NAMES = new Set(['agentlightning.reward', 'agentlightning.annotation']);

export const agentLightningMapper: ConventionMapper = {
  convention: 'agent-lightning',
  map(span: OtlpSpan): ConventionMatch | undefined {
    const mapping: SpanMapping = {};
    const resource = span.resource.attributes;
    // Agent Lightning resets these to '' between rollouts, so empty strings count as absent.
    const rolloutId =
      readString(span.attributes['agentlightning.rollout_id']) ?? readString(resource['agentlightning.rollout_id']);
    if (rolloutId !== undefined) mapping.rollout_id = rolloutId;
    const attemptId =
      readString(span.attributes['agentlightning.attempt_id']) ?? readString(resource['agentlightning.attempt_id']);
    if (attemptId !== undefined) mapping.attempt_id = attemptId;

    const rewards = readRewards(span.name, span.attributes);
    if (rewards.length > 0) {
      mapping.kind = 'reward';
      mapping.operation = 'reward';
      mapping.rewards = rewards;
      return { mapping, primary: true };
    }
    return rolloutId === undefined && attemptId === undefined ? undefined : { mapping, primary: false };
  },
};

function readRewards(spanName: string, attributes: Attributes): RewardValue[] {
  // Cheap checks first: only reward spans pay for the scan over their keys.
  if (attributes['agentlightning.reward.0.value'] !== undefined) {
    const root: IndexedNode = {};
    for (const key in attributes) {
      if (key.startsWith(REWARD_PREFIX))
        addIndexedKey(root, key.slice(REWARD_PREFIX.length), attributes[key] as Attributes[string]);
    }
    const rewards: RewardValue[] = [];
    for (const node of indexedChildren(root)) {
      const value = readNumber(valueAt(node, 'value'));
      if (value !== undefined) rewards.push({ name: readString(valueAt(node, 'name')) ?? 'primary', value });
    }
    return rewards;
  }
  if (LEGACY_REWARD_SPAN_NAMES.has(spanName)) {
    const value = readNumber(attributes['reward']);
    if (value !== undefined) return [{ name: 'primary', value }];
  }
  return [];
}
