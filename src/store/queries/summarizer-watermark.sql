-- Where a summarizer stopped reading `dirty_traces` (0 when it never ran).
SELECT argMax(watermark_ms, updated_at) AS watermark_ms
FROM summarizer_state
WHERE name = {name:String}
