/**
 * Agent Lightning: one Triplet per LLM call, `{prompt, response, reward, metadata}` as agentlightning's
 * `Triplet` model and its trace adapter build them: `prompt` = `{token_ids, raw_content, image_urls}` (the call's
 * input messages), `response` = `{token_ids, raw_content, logprobs?}` (the output message as a one-element choice
 * list). `token_ids` / `logprobs` appear when the spans carried them. `reward` is the chosen credit column for
 * that call (`final` gives every call the final reward, LightningRL's identical assignment). Calls that failed
 * without output produce no triplet. Calls logged without an id get `call_<turn>_<position>` as in every
 * format (call-ids.ts), in the response, in the history of later prompts, on the tool messages that answer them
 * and in `metadata.tool_calls`. In Parquet `raw_content` and `metadata` are JSON text: Agent Lightning types them
 * as free-form (`Any`, `Dict[str, Any]`).
 *
 * {"prompt":{"token_ids":[1,2],"raw_content":[{"role":"user","content":"Weather in Paris?"}],"image_urls":[]},
 *  "response":{"token_ids":[3],"raw_content":[{"role":"assistant","content":"18C in Paris."}],"logprobs":[-0.1]},
 *  "reward":1,"metadata":{"trajectory_id":"...","rollout_id":"...","turn_index":0,"agent_name":"weather",...}}
 */
import { z } from 'zod';
import type { Message } from '../../model/message.ts';
import { messageSchema } from '../../model/message.ts';
import { turnWithCallIds } from '../call-ids.ts';
import { converted, skip } from '../conversion-outcome.ts';
import { missingRewardReason, turnCredit } from '../credit.ts';
import type { PerTrajectoryFormat } from '../export-format.ts';
import { storedAsJsonText } from '../writers/parquet-structure.ts';

export const agentLightningRecordSchema = z.object({
  prompt: z.object({
    token_ids: z.array(z.number().int()).optional(),
    raw_content: storedAsJsonText(z.array(messageSchema)),
    image_urls: z.array(z.string()),
  }),
  response: z.object({
    token_ids: z.array(z.number().int()).optional(),
    raw_content: storedAsJsonText(z.array(messageSchema)),
    logprobs: z.array(z.number()).optional(),
  }),
  reward: z.number(),
  metadata: storedAsJsonText(
    z.object({
      trajectory_id: z.string(),
      trace_id: z.string(),
      span_id: z.string(),
      rollout_id: z.string(),
      attempt_id: z.string(),
      task_id: z.string(),
      agent_name: z.string(),
      model: z.string(),
      turn_index: z.number().int(),
      finish_reason: z.string(),
      reward_column: z.string(),
      tool_calls: z.array(
        z.object({ name: z.string(), call_id: z.string(), status: z.string(), air_reward: z.number() }),
      ),
    }),
  ),
});
export type AgentLightningRecord = z.infer<typeof agentLightningRecordSchema>;

function imageUrls(messages: Message[]): string[] {
  const urls: string[] = [];
  for (const message of messages) {
    if (!Array.isArray(message.content)) continue;
    for (const part of message.content) {
      const image = part['image_url'];
      if (
        part.type === 'image_url' &&
        typeof image === 'object' &&
        image !== null &&
        typeof (image as { url?: unknown }).url === 'string'
      ) {
        urls.push((image as { url: string }).url);
      }
    }
  }
  return urls;
}

export const agentLightningFormat: PerTrajectoryFormat<AgentLightningRecord> = {
  name: 'agent-lightning',
  description:
    'Agent Lightning triplets {prompt, response, reward, metadata}, one per LLM call, with token ids and logprobs when recorded',
  recordSchema: agentLightningRecordSchema,
  grouping: 'trajectory',
  convert(trajectory, options) {
    if (trajectory.final_reward === null) return skip('no reward');
    const records: AgentLightningRecord[] = [];
    for (const turn of trajectory.turns) {
      if (!turn.output_message) continue;
      const reward = turnCredit(trajectory, turn.index, options.credit);
      if (reward === null) return skip(missingRewardReason(trajectory, options.credit));
      const withIds = turnWithCallIds(trajectory, turn);
      const { finish_reason: _finishReason, ...output } = withIds.output ?? turn.output_message;
      records.push({
        prompt: {
          ...(turn.prompt_token_ids ? { token_ids: turn.prompt_token_ids } : {}),
          raw_content: withIds.input,
          image_urls: imageUrls(turn.input_messages),
        },
        response: {
          ...(turn.response_token_ids ? { token_ids: turn.response_token_ids } : {}),
          raw_content: [output],
          ...(turn.logprobs ? { logprobs: turn.logprobs } : {}),
        },
        reward,
        metadata: {
          trajectory_id: trajectory.id,
          trace_id: trajectory.trace_id,
          span_id: turn.span_id,
          rollout_id: trajectory.rollout_id,
          attempt_id: trajectory.attempt_id,
          task_id: trajectory.task_id,
          agent_name: trajectory.agent_name,
          model: turn.model,
          turn_index: turn.index,
          finish_reason: turn.finish_reason,
          reward_column: options.credit,
          tool_calls: turn.tool_calls.map((call, position) => ({
            name: call.name,
            call_id: withIds.executionCallIds[position] ?? call.call_id,
            status: call.status,
            air_reward: call.air_reward,
          })),
        },
      });
    }
    const [first, ...rest] = records;
    return first === undefined ? skip('no LLM call with output') : converted(first, ...rest);
  },
};
