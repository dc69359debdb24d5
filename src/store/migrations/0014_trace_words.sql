-- An index of the words of every trace's task description and first user message (the texts `trace_index` holds),
-- so trajectory search finds its candidates by the query's content words instead of scoring every trace of the
-- tenant: one row per (tenant, word, trace), sorted by word, so the traces sharing a word are one range of the key.
-- Words are as the search query reads them (src/store/queries/trajectory-search.sql): lowercased runs of ASCII
-- letters and digits, crude suffix stemming, longer than two characters; stop words are kept here and left out of the query
-- instead, so the list can change without rebuilding the index. Kept as spans arrive by trace_words_mv
-- (src/trajectories/trace-words-mv.sql); duplicates from retries or from several inserts of one trace collapse in
-- ReplacingMergeTree, and the search counts distinct words, so unmerged copies change nothing.
CREATE TABLE IF NOT EXISTS trace_words {{on_cluster}}
(
    tenant LowCardinality(String),
    word String,
    trace_id String
)
ENGINE = {{engine:ReplacingMergeTree}}
ORDER BY (tenant, word, trace_id);

-- The traces stored before this migration, once: the materialized view sees only later inserts. Copied on the node
-- this receiver talks to; on a cluster the Replicated engine carries the parts to the other replicas. Skipped once
-- every indexed trace has words (a new store, or a receiver that started after another copied); a start that died
-- part-way copies again, and rows copied twice collapse.
-- skip-if: SELECT count() = 0 FROM trace_index WHERE (tenant, trace_id) NOT IN (SELECT tenant, trace_id FROM trace_words)
INSERT INTO trace_words (tenant, word, trace_id)
SELECT tenant, word, trace_id
FROM
(
    SELECT tenant, trace_id, max(task_description) AS task_text, argMinMerge(first_user_text) AS user_text
    FROM trace_index
    GROUP BY tenant, trace_id
)
ARRAY JOIN arrayDistinct(arrayFilter(
    w -> length(w) > 2,
    arrayMap(w -> if(length(w) > 4, replaceRegexpOne(w, '(ing|ed|es|s)$', ''), w),
             splitByNonAlpha(lower(concat(task_text, ' ', user_text))))
)) AS word;
