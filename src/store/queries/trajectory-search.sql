-- Candidates for GET /v1/trajectories/search and context examples: traces ranked by how close the query is to the
-- task description or the first user message (the closer of the two), from the trace_index. Closeness combines
-- character trigrams (ClickHouse's ngramDistance, 0 = identical: robust to typos and inflection) with the overlap
-- of content words (stop words left out, crude suffix stemming, cosine of the two word sets): trigrams alone rank a
-- task that shares the query's phrasing ("what will the ... be tomorrow") above one that shares its subject.
-- The caller assembles the best ones, keeps the successful trajectories, and may re-rank them by embeddings.
-- The word rule (lowercase runs of ASCII letters and digits, suffix stemming, longer than two characters) is
-- trace_words' too.
-- A trace stitched into a conversation another trace started is no candidate of its own: every call of a
-- conversation shares its first user message, and the conversation is found through the trace that names it.
WITH
    {trigram_weight:Float64} AS trigram_weight,
    arrayDistinct(arrayFilter(
        w -> length(w) > 2 AND NOT has({stopwords:Array(String)}, w),
        arrayMap(w -> if(length(w) > 4, replaceRegexpOne(w, '(ing|ed|es|s)$', ''), w), splitByNonAlpha(lower({q:String})))
    )) AS query_words
SELECT trace_id, task_text, user_text,
       greatest(
           trigram_weight * (1 - ngramDistanceCaseInsensitiveUTF8(task_text, {q:String}))
               + (1 - trigram_weight) * if(empty(task_words) OR empty(query_words), 0,
                   length(arrayIntersect(task_words, query_words)) / sqrt(length(task_words) * length(query_words))),
           trigram_weight * (1 - ngramDistanceCaseInsensitiveUTF8(user_text, {q:String}))
               + (1 - trigram_weight) * if(empty(user_words) OR empty(query_words), 0,
                   length(arrayIntersect(user_words, query_words)) / sqrt(length(user_words) * length(query_words)))
       ) AS similarity
FROM
(
    SELECT trace_id, task_text, user_text,
           arrayDistinct(arrayFilter(
               w -> length(w) > 2 AND NOT has({stopwords:Array(String)}, w),
               arrayMap(w -> if(length(w) > 4, replaceRegexpOne(w, '(ing|ed|es|s)$', ''), w),
                        splitByNonAlpha(lower(task_text)))
           )) AS task_words,
           arrayDistinct(arrayFilter(
               w -> length(w) > 2 AND NOT has({stopwords:Array(String)}, w),
               arrayMap(w -> if(length(w) > 4, replaceRegexpOne(w, '(ing|ed|es|s)$', ''), w),
                        splitByNonAlpha(lower(user_text)))
           )) AS user_words
    FROM
    (
        SELECT trace_id, max(task_description) AS task_text, argMinMerge(first_user_text) AS user_text
        FROM trace_index
        WHERE tenant = {tenant:String}
          -- With a candidate bound, only the traces sharing the most content words with the query are scored,
          -- found through the word index (migrations/0014_trace_words.sql) in the key ranges of the query's words;
          -- 0 scores every trace (the caller's fallback when the index finds too few).
          AND ({candidates:UInt32} = 0 OR trace_id IN (
              SELECT trace_id FROM trace_words
              WHERE tenant = {tenant:String} AND has(query_words, word)
              GROUP BY trace_id
              ORDER BY uniqExact(word) DESC, trace_id
              LIMIT {candidates:UInt32}
          ))
          AND trace_id NOT IN (
              SELECT trace_id FROM trace_stitches
              WHERE tenant = {tenant:String}
              GROUP BY trace_id
              HAVING argMax(trajectory_id, decided_at) != trace_id
          )
        GROUP BY trace_id
    )
)
ORDER BY similarity DESC, trace_id
LIMIT {limit:UInt32}
