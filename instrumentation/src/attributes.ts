/**
 * Attribute and span names this package writes. The GenAI names follow the OpenTelemetry GenAI semantic
 * conventions (gen-ai-spans, gen-ai-agent-spans, openai, anthropic); `trajectory.*` names are this product's own;
 * `agentlightning.*` names match Agent Lightning's semconv (`AGL_ANNOTATION`, `LightningResourceAttributes`,
 * `agentlightning.reward.{i}.name/value`) so the same spans can feed an Agent Lightning store.
 */

export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature';
export const ATTR_GEN_AI_REQUEST_TOP_P = 'gen_ai.request.top_p';
export const ATTR_GEN_AI_REQUEST_TOP_K = 'gen_ai.request.top_k';
export const ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY = 'gen_ai.request.frequency_penalty';
export const ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY = 'gen_ai.request.presence_penalty';
export const ATTR_GEN_AI_REQUEST_STOP_SEQUENCES = 'gen_ai.request.stop_sequences';
export const ATTR_GEN_AI_REQUEST_SEED = 'gen_ai.request.seed';
export const ATTR_GEN_AI_REQUEST_CHOICE_COUNT = 'gen_ai.request.choice.count';
export const ATTR_GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream';
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens';
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = 'gen_ai.usage.reasoning.output_tokens';
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';
export const ATTR_GEN_AI_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions';
export const ATTR_GEN_AI_TOOL_DEFINITIONS = 'gen_ai.tool.definitions';
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';
export const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
export const ATTR_GEN_AI_AGENT_ID = 'gen_ai.agent.id';
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const ATTR_GEN_AI_TOOL_TYPE = 'gen_ai.tool.type';
export const ATTR_GEN_AI_TOOL_DESCRIPTION = 'gen_ai.tool.description';
export const ATTR_GEN_AI_TOOL_CALL_ID = 'gen_ai.tool.call.id';
export const ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments';
export const ATTR_GEN_AI_TOOL_CALL_RESULT = 'gen_ai.tool.call.result';
export const ATTR_OPENAI_API_TYPE = 'openai.api.type';
/** Not (yet) a semantic-conventions attribute: named like the registry's other `openai.request.*` ones. */
export const ATTR_OPENAI_REQUEST_PREVIOUS_RESPONSE_ID = 'openai.request.previous_response_id';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';

export const ATTR_TRAJECTORY_TASK_DESCRIPTION = 'trajectory.task.description';
export const ATTR_TRAJECTORY_TASK_ID = 'trajectory.task.id';
export const ATTR_TRAJECTORY_REWARD_COMMENT = 'trajectory.reward.comment';

export const ATTR_AGENTLIGHTNING_ROLLOUT_ID = 'agentlightning.rollout_id';
export const ATTR_AGENTLIGHTNING_ATTEMPT_ID = 'agentlightning.attempt_id';
/** Agent Lightning's `AGL_ANNOTATION` span name, which its `emit_reward()` uses for reward spans. */
export const AGENTLIGHTNING_ANNOTATION_SPAN_NAME = 'agentlightning.annotation';
export const agentLightningRewardNameAttribute = (index: number): string => `agentlightning.reward.${index}.name`;
export const agentLightningRewardValueAttribute = (index: number): string => `agentlightning.reward.${index}.value`;
/** Agent Lightning's `emit_reward(float)` names a single reward dimension `primary`. */
export const AGENTLIGHTNING_DEFAULT_REWARD_NAME = 'primary';

export const OPERATION_CHAT = 'chat';
export const OPERATION_INVOKE_AGENT = 'invoke_agent';
export const OPERATION_EXECUTE_TOOL = 'execute_tool';

export const INSTRUMENTATION_SCOPE_NAME = '@agent-trajectories/instrumentation';
export const INSTRUMENTATION_SCOPE_VERSION = '0.1.0';
