-- Candidates for GET /v1/trajectories/search: traces ranked by n-gram similarity of the query to the task
-- description and the first user message (ClickHouse's ngramDistance, 0 = identical), from the trace_index.
-- The caller assembles the best ones, keeps the successful trajectories, and may re-rank them by embeddings.
-- A trace stitched into a conversation another trace started is no candidate of its own: every call of a
-- conversation shares its first user message, and the conversation is found through the trace that names it.
SELECT trace_id, task_text, user_text,
       greatest(1 - ngramDistanceCaseInsensitiveUTF8(task_text, {q:String}),
                1 - ngramDistanceCaseInsensitiveUTF8(user_text, {q:String})) AS similarity
FROM
(
    SELECT trace_id, max(task_description) AS task_text, argMinMerge(first_user_text) AS user_text
    FROM trace_index
    WHERE tenant = {tenant:String}
      AND trace_id NOT IN (
          SELECT trace_id FROM trace_stitches
          WHERE tenant = {tenant:String}
          GROUP BY trace_id
          HAVING argMax(trajectory_id, decided_at) != trace_id
      )
    GROUP BY trace_id
)
ORDER BY similarity DESC, trace_id
LIMIT {limit:UInt32}
