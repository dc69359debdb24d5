/**
 * Outcome prediction at a decision point (context learning, `predict`): how runs ended when agents at a similar
 * state took the candidate action, and what happened when they did something else instead.
 *
 * - Similar trajectories: the `similarTrajectoryPool` most similar by task (`searchTrajectories` over every
 *   outcome, narrowed by agent and task id; the query is the conversation's first user message), assembled in
 *   batches of `assemblyBatch`. Candidates below the n-gram floor (`minNgramSimilarity`) are not similar.
 * - Similar states, the first level that has support: `same_history` (the same tool names so far, in order),
 *   `same_last_step` (the same last tool, or both at the start), `same_task` (any decision point at the same step
 *   +-1). "Support" means the candidate action was taken at that level; when no level saw it, the first level with
 *   any matching state answers, so the alternatives still say what agents did there.
 * - Each trajectory counts once per action at matched states (a loop calling `fetch` five times is one run that
 *   fetched). success_rate is over runs with a known outcome (success 1, failure 0, unknown left out); mean_reward
 *   over runs with a final reward; support counts every run.
 * - A tool call's `arguments` are ignored: one tool's calls are not told apart. Telling them apart would split
 *   already thin support further, and nothing here shows it would predict better (see decision-points.ts).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Outcome } from '../model/trajectory.ts';
import type { TrajectoryFilters } from '../trajectories/filters.ts';
import { getTrajectories, withoutGroupStats } from '../trajectories/read-trajectories.ts';
import { minNgramSimilarity, searchTrajectories, type SearchOptions } from '../trajectories/search.ts';
import {
  ContextRequestError,
  maxTaskTextLength,
  type OutcomeEstimate,
  type PredictRequest,
  type PredictResponse,
} from './context-api.ts';
import {
  actionOf,
  answerAction,
  conversationStateOf,
  decisionPointsOf,
  type ConversationState,
  type DecisionPoint,
} from './decision-points.ts';

/** Similar trajectories read at most: enough runs for rates at a state, few enough to assemble within a request. */
export const similarTrajectoryPool = 100;
/**
 * Trajectories assembled per read. Each read costs a few queries whatever its size, so fewer reads answer sooner
 * (100 similar runs on a busy 2-core machine: p50 about 120 ms in one read, 220 ms in four); two keep the full
 * trajectories held at once to half the pool.
 */
const assemblyBatch = 50;
const maxSupportingIds = 10;

type MatchLevel = PredictResponse['match'];

const matchLevels: ReadonlyArray<{
  level: MatchLevel;
  matches: (point: DecisionPoint, state: ConversationState) => boolean;
}> = [
  {
    level: 'same_history',
    matches: (point, state) =>
      point.history.length === state.history.length && point.history.every((name, i) => name === state.history[i]),
  },
  { level: 'same_last_step', matches: (point, state) => point.history.at(-1) === state.history.at(-1) },
  { level: 'same_task', matches: (point, state) => Math.abs(point.step - state.step) <= 1 },
];

interface RunOutcome {
  id: string;
  outcome: Outcome;
  final_reward: number | null;
}

interface PastRun {
  run: RunOutcome;
  points: DecisionPoint[];
}

/** Per action, the runs that took it at matched states, once each, in order of similarity. */
type ActionRuns = Map<string, Map<string, RunOutcome>>;

function runsAtLevel(
  trajectories: readonly PastRun[],
  state: ConversationState,
  matches: (point: DecisionPoint, state: ConversationState) => boolean,
): ActionRuns {
  const byAction: ActionRuns = new Map();
  for (const { run, points } of trajectories) {
    for (const point of points) {
      if (!matches(point, state)) continue;
      let runs = byAction.get(point.action);
      if (!runs) byAction.set(point.action, (runs = new Map<string, RunOutcome>()));
      runs.set(run.id, run);
    }
  }
  return byAction;
}

/** An action's estimate, with the counts its text is written from. */
interface ActionRecord {
  estimate: OutcomeEstimate;
  /** Runs with a known outcome, and how many of them succeeded. */
  known: number;
  succeeded: number;
}

function recordOf(action: string, runs: Iterable<RunOutcome> = []): ActionRecord {
  const all = [...runs];
  const known = all.filter((run) => run.outcome !== 'unknown');
  const succeeded = known.filter((run) => run.outcome === 'success').length;
  const rewards = all.flatMap((run) => (run.final_reward === null ? [] : [run.final_reward]));
  return {
    known: known.length,
    succeeded,
    estimate: {
      action,
      success_rate: known.length > 0 ? succeeded / known.length : null,
      mean_reward: rewards.length > 0 ? rewards.reduce((sum, reward) => sum + reward, 0) / rewards.length : null,
      support: all.length,
      supporting_trajectory_ids: all.slice(0, maxSupportingIds).map((run) => run.id),
    },
  };
}

/** More support first, then the better rate, then by name so equal records keep one order. */
function byEvidence(a: ActionRecord, b: ActionRecord): number {
  return (
    b.estimate.support - a.estimate.support ||
    (b.estimate.success_rate ?? -1) - (a.estimate.success_rate ?? -1) ||
    (a.estimate.action < b.estimate.action ? -1 : a.estimate.action > b.estimate.action ? 1 : 0)
  );
}

const levelWords: Record<MatchLevel, string> = {
  same_history: 'the same tools called so far',
  same_last_step: 'the same last step',
  same_task: 'a similar task, about the same step',
};

function doing(action: string): string {
  return action === answerAction ? 'answering directly' : `calling \`${action}\``;
}

function tally({ estimate, known, succeeded }: ActionRecord, unit = ''): string {
  if (known === 0) return `${estimate.support} runs, none with a known outcome`;
  const rate = `${Math.round((succeeded / known) * 100)}%`;
  const reward = estimate.mean_reward === null ? '' : `, mean reward ${estimate.mean_reward.toFixed(2)}`;
  const unknown = estimate.support > known ? `, ${estimate.support - known} more without an outcome` : '';
  return `${succeeded} of ${known}${unit} (${rate}${reward}${unknown})`;
}

function describe(match: MatchLevel, prediction: ActionRecord, alternatives: ActionRecord[]): string {
  if (prediction.estimate.support === 0 && alternatives.length === 0)
    return 'No similar past decision points: there is no history to predict from.';
  const where = `At similar states (${levelWords[match]})`;
  const head =
    prediction.estimate.support === 0
      ? `${where}, no past run was ${doing(prediction.estimate.action)}`
      : prediction.known === 0
        ? `${where}, ${prediction.estimate.support} runs were ${doing(prediction.estimate.action)}, none with a known outcome`
        : `${where}, ${doing(prediction.estimate.action)} led to success in ${tally(prediction, ' runs')}`;
  const others = alternatives.map((alternative) => `${doing(alternative.estimate.action)}: ${tally(alternative)}`);
  return others.length > 0 ? `${head}; ${others.join('; ')}.` : `${head}.`;
}

/**
 * The decision points of the runs most similar by task. Each batch of assembled trajectories is reduced to its
 * decision points before the next is read, so at most one batch of full trajectories (prompts included) is held.
 */
async function similarRuns(
  client: ClickHouseClient,
  tenant: string,
  task: string,
  request: PredictRequest,
  options: SearchOptions,
): Promise<PastRun[]> {
  const filters: TrajectoryFilters = {};
  if (request.agent !== undefined) filters.agent = request.agent;
  // The trajectory filters' `task` matches a task id (explicit or derived) or the exact description.
  if (request.task_id !== undefined) filters.task = request.task_id;
  const found = await searchTrajectories(
    client,
    tenant,
    { q: task.slice(0, maxTaskTextLength), limit: similarTrajectoryPool, filters, minSimilarity: minNgramSimilarity },
    options,
  );
  const ids = found.filter((summary) => summary.similarity > 0).map((summary) => summary.id);
  const runs: PastRun[] = [];
  for (let start = 0; start < ids.length; start += assemblyBatch) {
    for (const trajectory of await getTrajectories(
      client,
      tenant,
      ids.slice(start, start + assemblyBatch),
      options,
      withoutGroupStats,
    )) {
      if (!trajectory) continue;
      runs.push({
        run: { id: trajectory.id, outcome: trajectory.outcome, final_reward: trajectory.final_reward },
        points: decisionPointsOf(trajectory),
      });
    }
  }
  return runs;
}

export async function predictOutcome(
  client: ClickHouseClient,
  tenant: string,
  request: PredictRequest,
  options: SearchOptions = {},
): Promise<PredictResponse> {
  const state = conversationStateOf(request.messages);
  if (state.task === '')
    throw new ContextRequestError(
      'messages: no user message with text; the first user message is the task similar runs are found by',
    );
  const action = actionOf(request.action);
  const trajectories = await similarRuns(client, tenant, state.task, request, options);
  const levels = matchLevels.map(({ level, matches }) => ({ level, runs: runsAtLevel(trajectories, state, matches) }));
  const chosen = levels.find(({ runs }) => runs.has(action)) ??
    levels.find(({ runs }) => runs.size > 0) ?? {
      level: 'same_task' as const,
      runs: new Map<string, Map<string, RunOutcome>>(),
    };

  const records = new Map([...chosen.runs].map(([name, runs]) => [name, recordOf(name, runs.values())]));
  const prediction = records.get(action) ?? recordOf(action);
  const alternatives = [...records.values()]
    .filter((alternative) => alternative.estimate.action !== action)
    .sort(byEvidence)
    .slice(0, request.limit);
  return {
    match: chosen.level,
    similar_states: [...chosen.runs.values()].reduce((sum, runs) => sum + runs.size, 0),
    prediction: prediction.estimate,
    alternatives: alternatives.map((alternative) => alternative.estimate),
    text: describe(chosen.level, prediction, alternatives),
  };
}
