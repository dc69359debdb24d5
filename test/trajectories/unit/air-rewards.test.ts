import { describe, expect, it } from 'vitest';
import {
  airRuleValues,
  llmCallReward,
  toolExecutionReward,
  toolExecutionRule,
} from '../../../src/trajectories/air-rewards.ts';

const rules = airRuleValues([
  { rule: 'tool_succeeded', reward: '0.1' },
  { rule: 'tool_failed', reward: -0.5 },
  { rule: 'llm_failed', reward: '-0.25' },
  { rule: 'tool_unanswered', reward: -0.125 },
]);

describe('AIR rules', () => {
  it('reads rule values sent as numbers or as decimal strings', () => {
    expect([...rules]).toEqual([
      ['tool_succeeded', 0.1],
      ['tool_failed', -0.5],
      ['llm_failed', -0.25],
      ['tool_unanswered', -0.125],
    ]);
  });

  it('fires tool_unanswered for a missing execution, tool_failed for an error and tool_succeeded for ok or unset', () => {
    expect(['missing', 'error', 'ok', 'unset'].map(toolExecutionRule)).toEqual([
      'tool_unanswered',
      'tool_failed',
      'tool_succeeded',
      'tool_succeeded',
    ]);
  });

  it('values a tool execution by the rule it fires', () => {
    expect(toolExecutionReward(rules, 'error')).toEqual({ air_rule: 'tool_failed', air_reward: -0.5 });
    expect(toolExecutionReward(rules, 'missing')).toEqual({ air_rule: 'tool_unanswered', air_reward: -0.125 });
  });

  it('values a rule that is missing from the table at 0, as deleting a rule disables it', () => {
    expect(toolExecutionReward(airRuleValues([{ rule: 'tool_failed', reward: -1 }]), 'ok')).toEqual({
      air_rule: 'tool_succeeded',
      air_reward: 0,
    });
    expect(llmCallReward(airRuleValues([]), 'error')).toBe(0);
  });

  it('gives an LLM call llm_failed only when its span failed', () => {
    expect([llmCallReward(rules, 'error'), llmCallReward(rules, 'ok'), llmCallReward(rules, 'unset')]).toEqual([
      -0.25, 0, 0,
    ]);
  });
});
