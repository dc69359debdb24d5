/**
 * Examples for context learning: how similar past tasks were solved, for an agent about to act. Candidates are
 * successful trajectories (outcome success, final reward >= min_reward, optionally of one agent or task id) ranked
 * by `searchTrajectories`, one per distinct task text, so a rollout group does not fill every slot with copies of
 * one conversation. Only the best `limit` are assembled, then rendered and fitted into the token budget.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Message } from '../model/message.ts';
import type { Trajectory } from '../model/trajectory.ts';
import { getTrajectories, withoutGroupStats } from '../trajectories/read-trajectories.ts';
import { minNgramSimilarity, searchTrajectories, type SearchOptions } from '../trajectories/search.ts';
import type { ExamplesRequest, ExamplesResponse } from './context-api.ts';
import { renderTrajectory, solutionText } from './render-trajectory.ts';
import { fitExamples, tokenizerName } from './token-budget.ts';

export async function findExamples(
  client: ClickHouseClient,
  tenant: string,
  request: ExamplesRequest,
  options: SearchOptions = {},
): Promise<ExamplesResponse> {
  const hits = await searchTrajectories(
    client,
    tenant,
    {
      q: request.task,
      limit: request.limit,
      distinctTexts: true,
      minSimilarity: minNgramSimilarity,
      filters: { outcome: 'success', min_reward: request.min_reward, agent: request.agent, task: request.task_id },
    },
    options,
  );
  const trajectories = await getTrajectories(
    client,
    tenant,
    hits.map((hit) => hit.id),
    options,
    withoutGroupStats,
  );
  // Assembled live, a trajectory may differ from its summary (feedback since): the live outcome decides.
  const ranked = hits
    .map((hit, index) => ({ hit, trajectory: trajectories[index] }))
    .filter((entry): entry is { hit: (typeof hits)[number]; trajectory: Trajectory } =>
      isStillEligible(entry.trajectory, request),
    );
  const fitted = fitExamples(
    ranked.map((entry) => renderTrajectory(entry.trajectory)),
    request.max_tokens,
  );
  const hitById = new Map(ranked.map((entry) => [entry.hit.id, entry.hit]));
  const messages: Message[] = fitted.examples.flatMap((example) => [
    { role: 'user', content: example.rendered.task },
    { role: 'assistant', content: solutionText(example.rendered, example.omitted) },
  ]);
  return {
    retrieval: options.embeddings ? 'embeddings' : 'ngram',
    tokenizer: tokenizerName,
    max_tokens: request.max_tokens,
    tokens: fitted.tokens,
    truncated: fitted.truncated,
    examples: fitted.examples.map((example) => {
      const hit = hitById.get(example.rendered.trajectoryId);
      return {
        trajectory_id: example.rendered.trajectoryId,
        trace_id: hit?.trace_id ?? '',
        agent_name: hit?.agent_name ?? '',
        task: example.rendered.task,
        similarity: hit?.similarity ?? 0,
        final_reward: example.rendered.finalReward,
        text: example.text,
        tokens: example.tokens,
      };
    }),
    prompt: fitted.prompt,
    messages,
  };
}

function isStillEligible(trajectory: Trajectory | undefined, request: ExamplesRequest): boolean {
  if (!trajectory || trajectory.outcome !== 'success') return false;
  if (request.min_reward === undefined) return true;
  return trajectory.final_reward !== null && trajectory.final_reward >= request.min_reward;
}
