/**
 * Attributes for what the OpenAI Agents SDK knows and the GenAI conventions have no name for: the SDK's own ids
 * (to find a span in OpenAI's trace viewer), its span types, and the agent, handoff, guardrail and MCP details.
 * They live under `openai_agents.` so that nothing the receiver reads as GenAI (`gen_ai.*`) is claimed by accident.
 */

export const ATTR_OPENAI_AGENTS_SPAN_TYPE = 'openai_agents.span.type';
export const ATTR_OPENAI_AGENTS_SPAN_ID = 'openai_agents.span_id';
export const ATTR_OPENAI_AGENTS_TRACE_ID = 'openai_agents.trace_id';
/** On an agent span placed under the handoff that started it: the SDK's own parent (the run's task span). */
export const ATTR_OPENAI_AGENTS_PARENT_SPAN_ID = 'openai_agents.parent_span_id';
export const ATTR_OPENAI_AGENTS_TRACE_METADATA = 'openai_agents.trace.metadata';
export const ATTR_OPENAI_AGENTS_AGENT_TOOLS = 'openai_agents.agent.tools';
export const ATTR_OPENAI_AGENTS_AGENT_HANDOFFS = 'openai_agents.agent.handoffs';
export const ATTR_OPENAI_AGENTS_AGENT_OUTPUT_TYPE = 'openai_agents.agent.output_type';
export const ATTR_OPENAI_AGENTS_TURN = 'openai_agents.turn';
export const ATTR_OPENAI_AGENTS_TURN_AGENT_NAME = 'openai_agents.turn.agent_name';
export const ATTR_OPENAI_AGENTS_HANDOFF_FROM_AGENT = 'openai_agents.handoff.from_agent';
export const ATTR_OPENAI_AGENTS_HANDOFF_TO_AGENT = 'openai_agents.handoff.to_agent';
export const ATTR_OPENAI_AGENTS_FUNCTION_MCP_DATA = 'openai_agents.function.mcp_data';
export const ATTR_OPENAI_AGENTS_GUARDRAIL_NAME = 'openai_agents.guardrail.name';
export const ATTR_OPENAI_AGENTS_GUARDRAIL_TRIGGERED = 'openai_agents.guardrail.triggered';
export const ATTR_OPENAI_AGENTS_MCP_SERVER = 'openai_agents.mcp.server';
export const ATTR_OPENAI_AGENTS_MCP_TOOLS = 'openai_agents.mcp.tools';
export const ATTR_OPENAI_AGENTS_CUSTOM_DATA = 'openai_agents.custom.data';
/** The model the SDK reports on transcription and speech spans (not LLM calls, so not `gen_ai.request.model`). */
export const ATTR_OPENAI_AGENTS_MODEL = 'openai_agents.model';
