/**
 * OpenPipe ART: one TrajectoryGroup per line, the trajectories of one task, as the JSON of ART's pydantic models
 * (`TrajectoryGroup`: trajectories, metadata, exceptions; `Trajectory`: messages_and_choices, tools, reward,
 * metrics, metadata, logs; the fields newer ART versions added take their defaults). It is not ART's own file
 * format (YAML in ART 0.3, Parquet in current ART): load lines with `TrajectoryGroup.model_validate` (docs/exporters.md).
 * In `messages_and_choices` the assistant messages this trajectory's model generated are OpenAI `Choice` objects
 * (`{finish_reason, index, logprobs, message}`: ART trains on those), everything else stays a plain chat message.
 * ART validates `finish_reason` against OpenAI's enum, so other stop reasons are mapped onto it. In Parquet each
 * column is JSON text.
 *
 * {"trajectories":[{"messages_and_choices":[{"role":"system","content":"You are a weather bot."},
 *   {"role":"user","content":"Weather in Paris?"},
 *   {"finish_reason":"tool_calls","index":0,"logprobs":null,"message":{"role":"assistant","content":null,
 *     "tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}},
 *   {"role":"tool","content":"18C","tool_call_id":"call_1"},
 *   {"finish_reason":"stop","index":0,"logprobs":null,"message":{"role":"assistant","content":"18C in Paris."}}],
 *  "tools":[...],"reward":1,"metrics":{"turns":2,...},"metadata":{"trajectory_id":"...","task_id":"..."},"logs":[]}],
 *  "metadata":{"task_id":"..."},"exceptions":[]}
 */
import { z } from 'zod';
import type { Trajectory } from '../../model/trajectory.ts';
import {
  exported,
  mapped,
  skip,
  skippedTrajectory,
  type Mapped,
  type TrajectoryOutcome,
} from '../conversion-outcome.ts';
import { buildConversation } from '../conversation.ts';
import { missingRewardReason, trajectoryReward } from '../credit.ts';
import type { FormatOptions, PerTaskFormat } from '../export-format.ts';
import {
  openAIMessageSchema,
  openAIToolCallSchema,
  toOpenAIMessages,
  toolDefinitionOutputSchema,
  toolDefinitions,
} from '../message-shapes.ts';
import { storedAsJsonText } from '../writers/parquet-structure.ts';

const finishReasons = ['stop', 'length', 'tool_calls', 'content_filter', 'function_call'] as const;
const metadataValue = z.union([z.number(), z.string(), z.boolean(), z.null()]);

export const artChoiceSchema = z.object({
  finish_reason: z.enum(finishReasons),
  index: z.number().int(),
  logprobs: z.null(),
  message: z.object({
    role: z.literal('assistant'),
    content: z.string().nullable(),
    tool_calls: z.array(openAIToolCallSchema).min(1).optional(),
  }),
});

export const artTrajectorySchema = z.object({
  messages_and_choices: z.array(z.union([artChoiceSchema, openAIMessageSchema])),
  tools: z.array(toolDefinitionOutputSchema).nullable(),
  reward: z.number(),
  metrics: z.record(z.string(), z.number()),
  metadata: z.record(z.string(), metadataValue),
  logs: z.array(z.string()),
});

export const artRecordSchema = z.object({
  trajectories: storedAsJsonText(z.array(artTrajectorySchema).min(1)),
  metadata: z.record(z.string(), metadataValue),
  exceptions: storedAsJsonText(z.array(z.never())),
});
export type ArtRecord = z.infer<typeof artRecordSchema>;
type ArtTrajectory = z.infer<typeof artTrajectorySchema>;

function finishReason(reason: string | undefined, hasToolCalls: boolean): (typeof finishReasons)[number] {
  if (hasToolCalls) return 'tool_calls';
  if (reason === 'length' || reason === 'max_tokens' || reason === 'MAX_TOKENS') return 'length';
  if (reason === 'content_filter' || reason === 'SAFETY') return 'content_filter';
  return 'stop';
}

function artTrajectory(trajectory: Trajectory, options: FormatOptions): Mapped<ArtTrajectory> {
  const reward = trajectoryReward(trajectory, options.credit);
  if (reward === null) return skip(missingRewardReason(trajectory, options.credit));
  const finishByTurn = new Map(
    trajectory.turns.map((turn) => [turn.index, turn.finish_reason || turn.output_message?.finish_reason]),
  );
  const conversation = buildConversation(trajectory);
  const messages = toOpenAIMessages(conversation.map((entry) => entry.message));
  if (messages.status === 'skipped') return messages;
  const messagesAndChoices = messages.value.map((message, position) => {
    const turnIndex = conversation[position]?.turnIndex;
    if (turnIndex === undefined || message.role !== 'assistant') return message;
    const content =
      message.content === null || typeof message.content === 'string'
        ? message.content
        : JSON.stringify(message.content);
    return {
      finish_reason: finishReason(finishByTurn.get(turnIndex), message.tool_calls !== undefined),
      index: 0,
      logprobs: null,
      message: {
        role: 'assistant' as const,
        content,
        ...(message.tool_calls ? { tool_calls: message.tool_calls } : {}),
      },
    };
  });
  if (!messagesAndChoices.some((item) => 'finish_reason' in item)) return skip('no assistant output');
  return mapped({
    messages_and_choices: messagesAndChoices,
    tools: trajectory.tools.length > 0 ? toolDefinitions(trajectory.tools) : null,
    reward,
    metrics: {
      turns: trajectory.turn_count,
      tool_calls: trajectory.tool_call_count,
      errors: trajectory.error_count,
      duration_ms: trajectory.duration_ms,
      input_tokens: trajectory.input_tokens,
      output_tokens: trajectory.output_tokens,
      ...(trajectory.final_reward !== null ? { final_reward: trajectory.final_reward } : {}),
    },
    metadata: {
      trajectory_id: trajectory.id,
      trace_id: trajectory.trace_id,
      task_id: trajectory.task_id,
      task: trajectory.task,
      agent_name: trajectory.agent_name,
      rollout_id: trajectory.rollout_id,
      attempt_id: trajectory.attempt_id,
      outcome: trajectory.outcome,
      reward_column: options.credit,
    },
    logs: [],
  });
}

export const artFormat: PerTaskFormat<ArtRecord> = {
  name: 'art',
  description:
    'OpenPipe ART TrajectoryGroup per line (trajectories of one task), loadable with art.TrajectoryGroup.model_validate',
  recordSchema: artRecordSchema,
  grouping: 'task',
  convertTask(group, options) {
    const members: ArtTrajectory[] = [];
    const outcomes: TrajectoryOutcome[] = [];
    for (const trajectory of group) {
      const member = artTrajectory(trajectory, options);
      if (member.status === 'skipped') {
        outcomes.push(skippedTrajectory(trajectory.id, member));
      } else {
        members.push(member.value);
        outcomes.push(exported(trajectory.id));
      }
    }
    const first = group[0];
    const records: ArtRecord[] =
      members.length > 0
        ? [
            {
              trajectories: members,
              metadata: { task_id: first?.task_id ?? '', task: first?.task ?? '' },
              exceptions: [],
            },
          ]
        : [];
    return { records, outcomes };
  },
};
