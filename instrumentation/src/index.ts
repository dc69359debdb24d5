/**
 * @agent-trajectories/instrumentation: OpenTelemetry GenAI spans for TypeScript agents (openai,
 * @anthropic-ai/sdk, the OpenAI Agents SDK) and a small trajectory API (agent runs, tools, rewards) for what auto-instrumentation
 * cannot know.
 */
export { register, type InstrumentationHandle } from './register.ts';
export type { RegisterOptions } from './configuration.ts';
export type { RedactContent, ContentRedactionContext } from './state.ts';
export { trajectory, type TrajectoryOptions } from './trajectory/trajectory.ts';
export { tool, type ToolOptions, type ToolCall, type InstrumentedTool } from './trajectory/tool.ts';
export { reward, type RewardOptions } from './trajectory/reward.ts';
export {
  recall,
  type RecallOptions,
  type RecallResult,
  type RecalledMessage,
  type RecalledToolCall,
} from './recall.ts';
export { patchModule as instrumentModule, type InstrumentedModuleName } from './hooks/patch-module.ts';
export { openAIAgentsTracingProcessor } from './openai-agents/attach-processor.ts';
export type {
  AgentsSpan,
  AgentsSpanData,
  AgentsTrace,
  AgentsTracingProcessor,
} from './openai-agents/sdk-tracing-types.ts';
export {
  AGENTLIGHTNING_ANNOTATION_SPAN_NAME,
  AGENTLIGHTNING_DEFAULT_REWARD_NAME,
  ATTR_AGENTLIGHTNING_ATTEMPT_ID,
  ATTR_AGENTLIGHTNING_ROLLOUT_ID,
  ATTR_TRAJECTORY_REWARD_COMMENT,
  ATTR_TRAJECTORY_TASK_DESCRIPTION,
  ATTR_TRAJECTORY_TASK_ID,
} from './attributes.ts';
