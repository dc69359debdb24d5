-- The current AIR rule values (latest updated_at per rule), as the `turns` view joins them. Rules are global.
SELECT rule, toFloat64(argMax(reward, updated_at)) AS reward
FROM air_rules
GROUP BY rule
