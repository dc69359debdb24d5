-- Every reward of one trajectory from the `rewards` view, oldest first.
SELECT name, value, source, comment, span_id, toString(time_unix_nano) AS time_unix_nano
FROM rewards(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
WHERE trajectory_id = {id:String}
ORDER BY time_unix_nano, source, name
