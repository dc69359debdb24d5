/**
 * The registry of derived definitions: the views, materialized views and seed rows that are computed from the
 * tables rather than holding data of their own. Unlike numbered migrations (applied once, immutable), every one of
 * them is re-applied on every start (`CREATE OR REPLACE`), so a store created by an earlier build always runs the
 * current rules. Each lives in a `.sql` file beside the TypeScript that implements the same rule (its twin), so a
 * reader finds one from the other by name. Listed in dependency order: a view comes after the views it reads.
 */

/**
 * Grows by one whenever any derived definition changes (test/store/migrations.test.ts pins the epoch to the
 * checksum of the definitions, so a change without a bump fails). A store records the highest epoch applied to it,
 * and a build with a lower one refuses to start instead of putting its older views back.
 */
export const derivedDefinitionsEpoch = 5;

export interface DerivedDefinition {
  /** The view, materialized view or seed the file defines (for messages). */
  name: string;
  /** The `.sql` file, beside its twin. */
  file: URL;
  /** The TypeScript module that implements the same rule, when there is one (same folder). */
  twin?: string;
}

function beside(fileName: string): URL {
  return new URL(`../trajectories/${fileName}`, import.meta.url);
}

function besideAnalytics(fileName: string): URL {
  return new URL(`../analytics/${fileName}`, import.meta.url);
}

function besideStore(fileName: string): URL {
  return new URL(fileName, import.meta.url);
}

export const derivedDefinitions: readonly DerivedDefinition[] = [
  { name: 'trace_index_mv', file: beside('trace-index-mv.sql') },
  { name: 'trace_words_mv', file: beside('trace-words-mv.sql'), twin: 'search.ts' },
  { name: 'rollout_traces_mv', file: beside('rollout-traces-mv.sql') },
  { name: 'dirty_traces_*_mv', file: beside('dirty-traces-mv.sql') },
  { name: 'air_rules defaults', file: beside('air-rule-defaults.sql'), twin: 'air-rewards.ts' },
  { name: 'resolved_spans', file: besideStore('resolved-spans.sql'), twin: 'content-refs.ts' },
  { name: 'trajectory_spans', file: beside('assign-spans.sql'), twin: 'assign-spans.ts' },
  { name: 'turns', file: beside('assemble-turns.sql'), twin: 'assemble-turns.ts' },
  { name: 'air_rewards', file: beside('air-rewards.sql'), twin: 'air-rewards.ts' },
  { name: 'rewards', file: beside('collect-rewards.sql'), twin: 'collect-rewards.ts' },
  { name: 'trajectories', file: beside('assemble-trajectory.sql'), twin: 'assemble-trajectory.ts' },
  { name: 'credit', file: beside('credit.sql'), twin: 'credit.ts' },
  { name: 'analytics_model_calls', file: besideAnalytics('model-calls.sql'), twin: 'model-prices.ts' },
  { name: 'analytics_tool_calls', file: besideAnalytics('tool-calls.sql') },
  { name: 'analytics_trajectories', file: besideAnalytics('trajectories.sql') },
];
