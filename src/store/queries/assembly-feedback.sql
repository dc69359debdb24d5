-- Feedback posted for the trajectories of the given traces (the `rewards` view's third source).
SELECT trace_id, trajectory_id, name, value, comment, toString(time_unix_nano) AS time_unix_nano
FROM feedback FINAL
WHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}
