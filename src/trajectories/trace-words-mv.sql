-- The materialized view that keeps `trace_words` (the word index of trace texts that trajectory search reads its
-- candidates from; table and word rule in migrations/0014_trace_words.sql) as traces are indexed. It reads the rows
-- trace_index_mv inserts into `trace_index` (one per trace per insert of spans, so a trace's texts are split into
-- words once per insert, not once per span), with the first user message's argMin state finalized within the insert.
-- A trace whose texts arrive over several inserts gets the words of each; the search scores the trace's final texts,
-- so an extra word only makes it a candidate. Re-applied on every start (src/store/derived-definitions.ts).
CREATE MATERIALIZED VIEW IF NOT EXISTS trace_words_mv {{on_cluster}} TO trace_words AS
SELECT tenant, word, trace_id
FROM trace_index
ARRAY JOIN arrayDistinct(arrayFilter(
    w -> length(w) > 2,
    arrayMap(w -> if(length(w) > 4, replaceRegexpOne(w, '(ing|ed|es|s)$', ''), w),
             splitByNonAlpha(lower(concat(task_description, ' ', finalizeAggregation(first_user_text)))))
)) AS word;
