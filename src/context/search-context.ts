/**
 * `search` of context learning: the successful past trajectories most similar to a task text, as the compact hits
 * an agent (or the MCP `search_trajectories` tool) reads. Candidates come from `searchTrajectories` (n-grams, or
 * embeddings when an endpoint is configured); only successful ones count, narrowed by agent, task id and reward.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { minNgramSimilarity, searchTrajectories, type SearchOptions } from '../trajectories/search.ts';
import type { SearchRequest, SearchResponse } from './context-api.ts';

export async function searchContext(
  client: ClickHouseClient,
  tenant: string,
  request: SearchRequest,
  options: SearchOptions = {},
): Promise<SearchResponse> {
  const found = await searchTrajectories(
    client,
    tenant,
    {
      q: request.q,
      limit: request.limit,
      minSimilarity: minNgramSimilarity,
      filters: {
        outcome: 'success',
        min_reward: request.min_reward,
        agent: request.agent,
        // The trajectory filters' `task` matches a task id (explicit or derived) or the exact description.
        task: request.task_id,
      },
    },
    options,
  );
  return {
    retrieval: options.embeddings ? 'embeddings' : 'ngram',
    trajectories: found.map((summary) => ({
      trajectory_id: summary.id,
      trace_id: summary.trace_id,
      agent_name: summary.agent_name,
      task: summary.task,
      task_id: summary.task_id,
      outcome: summary.outcome,
      final_reward: summary.final_reward,
      turn_count: summary.turn_count,
      tool_call_count: summary.tool_call_count,
      // The contract's similarity is in [0, 1]; a cosine can be negative for opposite vectors.
      similarity: Math.max(0, summary.similarity),
    })),
  };
}
