-- The default AIR rules (air-rewards.ts names them; table `air_rules` in migrations/0002_trajectory_tables.sql).
-- Seeded at updated_at = 0, so any value a user inserts (updated_at defaults to now) outranks them, and only
-- rules the table lacks are seeded, so re-applying this on every start (src/store/derived-definitions.ts) adds the
-- rules a new release defines without touching the ones users tuned. Disable a rule by setting it to 0: a
-- deleted rule comes back with its default on the next start.
INSERT INTO air_rules (rule, reward, description, updated_at)
SELECT rule, reward, description, toDateTime64(0, 3)
FROM values('rule String, reward Float64, description String',
    ('tool_succeeded', 0.1, 'a tool execution that answered a call and did not fail'),
    ('tool_failed', -0.1, 'a tool execution whose span has status error, or a tool message that says it failed'),
    ('tool_answered_status_unknown', 0.1, 'a tool call answered by a tool message that says nothing about failure'),
    ('llm_failed', -0.1, 'an LLM call whose span has status error'),
    ('tool_unanswered', -0.1, 'a tool call nothing answered by the end of the trajectory (no tool span, no tool message)'))
WHERE rule NOT IN (SELECT rule FROM air_rules);
