-- Feedback posted for the trajectories of the given traces (the `rewards` view's third source).
-- The trace filter is a PREWHERE: FINAL keeps ClickHouse from moving it there, and on the sort key's prefix it is
-- exact (docs/decisions/2026-12-03-prewhere-under-final.md).
SELECT trace_id, trajectory_id, name, value, comment, toString(time_unix_nano) AS time_unix_nano
FROM feedback FINAL
PREWHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}
