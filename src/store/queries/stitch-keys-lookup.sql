-- The stitch keys published under any of the given keys (all kinds), for the stitcher to match in memory.
SELECT service_name, kind, key, trace_id, toString(start_ns) AS start_ns, toString(end_ns) AS end_ns
FROM stitch_keys FINAL
WHERE tenant = {tenant:String} AND has({keys:Array(String)}, key)
