/**
 * AIR (agent intermediate reward) rules, valued by the `air_rules` table (latest `updated_at` per rule; a rule
 * missing from the table is worth 0; air-rule-defaults.sql seeds the defaults on every start). The same rules as
 * the `turns` view (assemble-turns.sql) and `air_rewards` (air-rewards.sql): an LLM call that failed, and each tool
 * execution of a turn by its status.
 */
import type { AirRuleValues } from './assembly-input.ts';

export type AirRule =
  'tool_succeeded' | 'tool_failed' | 'tool_answered_status_unknown' | 'llm_failed' | 'tool_unanswered';

export function airRuleValues(rows: Array<{ rule: string; reward: number | string }>): AirRuleValues {
  return new Map(rows.map((row) => [row.rule, Number(row.reward)]));
}

function valueOf(rules: AirRuleValues, rule: AirRule): number {
  return rules.get(rule) ?? 0;
}

/** The rule a tool execution fires: unanswered, failed, answered with no word on failure, or succeeded. */
export function toolExecutionRule(status: string): AirRule {
  if (status === 'missing') return 'tool_unanswered';
  if (status === 'error') return 'tool_failed';
  if (status === 'unknown') return 'tool_answered_status_unknown';
  return 'tool_succeeded';
}

export function toolExecutionReward(rules: AirRuleValues, status: string): { air_rule: AirRule; air_reward: number } {
  const rule = toolExecutionRule(status);
  return { air_rule: rule, air_reward: valueOf(rules, rule) };
}

/** The AIR reward of the LLM call itself: `llm_failed` when its span failed, else 0. */
export function llmCallReward(rules: AirRuleValues, status: string): number {
  return status === 'error' ? valueOf(rules, 'llm_failed') : 0;
}
