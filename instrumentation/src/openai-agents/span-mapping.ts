/**
 * What each SDK span type becomes as an OTel span: `agent` an `invoke_agent {name}` span, `function` and `handoff`
 * `execute_tool {name}` spans (a handoff is the tool call the model made to transfer control), model spans `chat`
 * spans (`model-span.ts`), and the SDK's structure (`task`, `turn`, `guardrail`, `custom`, `mcp_tools`, voice
 * spans) plain spans with `openai_agents.*` attributes, so they keep the tree's shape without being read as GenAI.
 * Names and attributes known when the SDK span starts are given at once; the rest is recorded when it ends,
 * because the SDK fills its span data while the span runs.
 */
import { SpanKind, type Attributes, type Span } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  OPERATION_EXECUTE_TOOL,
  OPERATION_INVOKE_AGENT,
} from '../attributes.ts';
import { setContentAttribute } from '../content.ts';
import { arrayField, numberField, stringField } from '../genai/messages.ts';
import {
  ATTR_OPENAI_AGENTS_AGENT_HANDOFFS,
  ATTR_OPENAI_AGENTS_AGENT_OUTPUT_TYPE,
  ATTR_OPENAI_AGENTS_AGENT_TOOLS,
  ATTR_OPENAI_AGENTS_CUSTOM_DATA,
  ATTR_OPENAI_AGENTS_FUNCTION_MCP_DATA,
  ATTR_OPENAI_AGENTS_GUARDRAIL_NAME,
  ATTR_OPENAI_AGENTS_GUARDRAIL_TRIGGERED,
  ATTR_OPENAI_AGENTS_HANDOFF_FROM_AGENT,
  ATTR_OPENAI_AGENTS_HANDOFF_TO_AGENT,
  ATTR_OPENAI_AGENTS_MCP_SERVER,
  ATTR_OPENAI_AGENTS_MCP_TOOLS,
  ATTR_OPENAI_AGENTS_MODEL,
  ATTR_OPENAI_AGENTS_SPAN_TYPE,
  ATTR_OPENAI_AGENTS_TURN,
  ATTR_OPENAI_AGENTS_TURN_AGENT_NAME,
} from './agents-attributes.ts';
import { isModelSpan, modelSpanName, recordModelSpan } from './model-span.ts';
import type { AgentsSpanData } from './sdk-tracing-types.ts';
import { defaultHandoffToolName } from './tool-call-ledger.ts';

export interface SpanDescription {
  name: string;
  kind: SpanKind;
  attributes: Attributes;
}

/** The name, kind and start attributes of the OTel span for an SDK span. */
export function describeSpan(data: AgentsSpanData): SpanDescription {
  const attributes: Attributes = { [ATTR_OPENAI_AGENTS_SPAN_TYPE]: data.type };
  const internal = (name: string): SpanDescription => ({ name, kind: SpanKind.INTERNAL, attributes });
  const name = stringField(data, 'name');
  switch (data.type) {
    case 'response':
    case 'generation':
      return { name: modelSpanName(data), kind: SpanKind.CLIENT, attributes };
    case 'agent':
      attributes[ATTR_GEN_AI_OPERATION_NAME] = OPERATION_INVOKE_AGENT;
      attributes[ATTR_GEN_AI_AGENT_NAME] = name ?? 'agent';
      return internal(`${OPERATION_INVOKE_AGENT} ${name ?? 'agent'}`);
    case 'function':
      attributes[ATTR_GEN_AI_OPERATION_NAME] = OPERATION_EXECUTE_TOOL;
      attributes[ATTR_GEN_AI_TOOL_TYPE] = 'function';
      if (name !== undefined) attributes[ATTR_GEN_AI_TOOL_NAME] = name;
      return internal(`${OPERATION_EXECUTE_TOOL} ${name ?? 'function'}`);
    case 'handoff': {
      attributes[ATTR_GEN_AI_OPERATION_NAME] = OPERATION_EXECUTE_TOOL;
      attributes[ATTR_GEN_AI_TOOL_TYPE] = 'function';
      const from = stringField(data, 'from_agent');
      if (from !== undefined) attributes[ATTR_OPENAI_AGENTS_HANDOFF_FROM_AGENT] = from;
      return internal(handoffSpanName(stringField(data, 'to_agent')));
    }
    case 'task':
      return internal(`task ${name ?? ''}`.trim());
    case 'turn': {
      const turn = numberField(data, 'turn');
      if (turn !== undefined) attributes[ATTR_OPENAI_AGENTS_TURN] = turn;
      const agentName = stringField(data, 'agent_name');
      if (agentName !== undefined) attributes[ATTR_OPENAI_AGENTS_TURN_AGENT_NAME] = agentName;
      return internal(turn === undefined ? 'turn' : `turn ${turn}`);
    }
    case 'guardrail':
      if (name !== undefined) attributes[ATTR_OPENAI_AGENTS_GUARDRAIL_NAME] = name;
      return internal(`guardrail ${name ?? ''}`.trim());
    case 'mcp_tools': {
      const server = stringField(data, 'server');
      return internal(server === undefined ? 'mcp_tools' : `mcp_tools ${server}`);
    }
    case 'custom':
      return internal(name ?? 'custom');
    default:
      return internal(data.type);
  }
}

/** `execute_tool {tool}`: the tool the model called, else the SDK's default handoff tool name for the target. */
export function handoffSpanName(toAgent: string | undefined, toolName?: string): string {
  const name = toolName ?? (toAgent === undefined ? 'handoff' : defaultHandoffToolName(toAgent));
  return `${OPERATION_EXECUTE_TOOL} ${name}`;
}

/** Records what the SDK filled in while the span ran. Tool call ids come from the processor's ledger. */
export function recordSpanEnd(span: Span, data: AgentsSpanData): void {
  if (isModelSpan(data)) {
    span.updateName(modelSpanName(data));
    recordModelSpan(span, data);
    return;
  }
  switch (data.type) {
    case 'agent': {
      const tools = stringList(data, 'tools');
      if (tools) span.setAttribute(ATTR_OPENAI_AGENTS_AGENT_TOOLS, tools);
      const handoffs = stringList(data, 'handoffs');
      if (handoffs) span.setAttribute(ATTR_OPENAI_AGENTS_AGENT_HANDOFFS, handoffs);
      const outputType = stringField(data, 'output_type');
      if (outputType !== undefined) span.setAttribute(ATTR_OPENAI_AGENTS_AGENT_OUTPUT_TYPE, outputType);
      return;
    }
    case 'function': {
      // The SDK starts with empty strings and fills them only when it traces tool data: empty means not recorded.
      const input = stringField(data, 'input');
      if (input) setContentAttribute(span, ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, input);
      const output = data['output'];
      if (output !== undefined && output !== '') setContentAttribute(span, ATTR_GEN_AI_TOOL_CALL_RESULT, output);
      const mcpData = stringField(data, 'mcp_data');
      if (mcpData) span.setAttribute(ATTR_OPENAI_AGENTS_FUNCTION_MCP_DATA, mcpData);
      return;
    }
    case 'handoff': {
      const toAgent = stringField(data, 'to_agent');
      if (toAgent === undefined) return;
      span.setAttribute(ATTR_OPENAI_AGENTS_HANDOFF_TO_AGENT, toAgent);
      // What the SDK answers the handoff call with (`getTransferMessage`), which the next agent reads as its result.
      setContentAttribute(span, ATTR_GEN_AI_TOOL_CALL_RESULT, JSON.stringify({ assistant: toAgent }));
      return;
    }
    case 'guardrail':
      if (typeof data['triggered'] === 'boolean')
        span.setAttribute(ATTR_OPENAI_AGENTS_GUARDRAIL_TRIGGERED, data['triggered']);
      return;
    case 'mcp_tools': {
      const server = stringField(data, 'server');
      if (server !== undefined) span.setAttribute(ATTR_OPENAI_AGENTS_MCP_SERVER, server);
      const tools = stringList(data, 'result');
      if (tools) span.setAttribute(ATTR_OPENAI_AGENTS_MCP_TOOLS, tools);
      return;
    }
    case 'custom':
      if (data['data'] !== undefined) setContentAttribute(span, ATTR_OPENAI_AGENTS_CUSTOM_DATA, data['data']);
      return;
    case 'transcription':
    case 'speech': {
      const model = stringField(data, 'model');
      if (model !== undefined) span.setAttribute(ATTR_OPENAI_AGENTS_MODEL, model);
      return;
    }
    default:
      return;
  }
}

function stringList(data: AgentsSpanData, field: string): string[] | undefined {
  const values = arrayField(data, field);
  return values?.filter((value): value is string => typeof value === 'string');
}
