-- The live summary keys of the given traces: the summarizer tombstones those its recomputation no longer yields.
SELECT start_ns, id, trace_id
FROM trajectory_summaries FINAL
WHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}
