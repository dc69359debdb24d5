/**
 * `trajectory(task, fn)`: one agent run as an `invoke_agent {agentName}` span. Everything `fn` does (LLM calls,
 * tools, rewards, nested trajectories) becomes its descendants; the run's identifiers (conversation id, Agent
 * Lightning rollout/attempt ids) are inherited by nested trajectories and stamped on every span inside.
 */
import {
  context,
  INVALID_SPAN_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import {
  ATTR_AGENTLIGHTNING_ATTEMPT_ID,
  ATTR_AGENTLIGHTNING_ROLLOUT_ID,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_AGENT_ID,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_TRAJECTORY_TASK_DESCRIPTION,
  ATTR_TRAJECTORY_TASK_ID,
  OPERATION_INVOKE_AGENT,
} from '../attributes.ts';
import { setContentAttribute } from '../content.ts';
import { errorType } from '../genai/llm-call.ts';
import { guard } from '../guard.ts';
import { currentTracer } from '../state.ts';
import { contextWithTrajectory, currentTrajectory } from './trajectory-context.ts';

export interface TrajectoryOptions {
  /**
   * `gen_ai.agent.name`, also the span name suffix.
   * @default the enclosing trajectory's agent name, else `OTEL_SERVICE_NAME`, else `agent`
   */
  agentName?: string;
  /** `gen_ai.agent.id`. */
  agentId?: string;
  /** `trajectory.task.id`: the same id for every run of the same task, so runs can be compared (group advantages). */
  taskId?: string;
  /**
   * `gen_ai.conversation.id`, also set on the LLM spans inside.
   * @default the enclosing trajectory's
   */
  conversationId?: string;
  /**
   * Agent Lightning rollout id (`agentlightning.rollout_id`) stamped on every span inside.
   * @default the enclosing trajectory's
   */
  rolloutId?: string;
  /**
   * Agent Lightning attempt id (`agentlightning.attempt_id`) stamped on every span inside.
   * @default the enclosing trajectory's
   */
  attemptId?: string;
  /** Extra attributes for the `invoke_agent` span. */
  attributes?: Attributes;
}

/**
 * Runs `fn` inside an `invoke_agent` span describing one agent run on `task` (a task description, recorded as
 * `trajectory.task.description` like other content: only with content capture on, after redaction). Returns what
 * `fn` returns; a thrown error or rejected promise marks the span as an error and propagates unchanged.
 */
export function trajectory<T>(task: string, fn: (span: Span) => T, options: TrajectoryOptions = {}): T {
  const started = guard('starting a trajectory span', () => startTrajectory(task, options));
  if (!started) return fn(trace.getActiveSpan() ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
  const { span, runContext } = started;
  let result: T;
  try {
    result = context.with(runContext, () => fn(span));
  } catch (error) {
    endWithError(span, error);
    throw error;
  }
  if (isPromiseLike(result)) {
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        endWithError(span, error);
        throw error;
      },
    ) as T;
  }
  span.end();
  return result;
}

function startTrajectory(
  task: string,
  options: TrajectoryOptions,
): { span: Span; runContext: ReturnType<typeof context.active> } {
  const parentContext = context.active();
  const parent = currentTrajectory(parentContext);
  const agentName = options.agentName ?? parent?.agentName ?? process.env['OTEL_SERVICE_NAME'] ?? 'agent';
  const conversationId = options.conversationId ?? parent?.conversationId;
  const rolloutId = options.rolloutId ?? parent?.rolloutId;
  const attemptId = options.attemptId ?? parent?.attemptId;
  const attributes: Attributes = {
    ...options.attributes,
    [ATTR_GEN_AI_OPERATION_NAME]: OPERATION_INVOKE_AGENT,
    [ATTR_GEN_AI_AGENT_NAME]: agentName,
  };
  if (options.agentId !== undefined) attributes[ATTR_GEN_AI_AGENT_ID] = options.agentId;
  if (options.taskId !== undefined) attributes[ATTR_TRAJECTORY_TASK_ID] = options.taskId;
  if (conversationId !== undefined) attributes[ATTR_GEN_AI_CONVERSATION_ID] = conversationId;
  if (rolloutId !== undefined) attributes[ATTR_AGENTLIGHTNING_ROLLOUT_ID] = rolloutId;
  if (attemptId !== undefined) attributes[ATTR_AGENTLIGHTNING_ATTEMPT_ID] = attemptId;
  const span = currentTracer().startSpan(
    `${OPERATION_INVOKE_AGENT} ${agentName}`,
    { kind: SpanKind.INTERNAL, attributes },
    parentContext,
  );
  // The task is what the user asked for: content, under the same switch and redaction as messages.
  setContentAttribute(span, ATTR_TRAJECTORY_TASK_DESCRIPTION, task);
  const runContext = contextWithTrajectory(trace.setSpan(parentContext, span), {
    span,
    agentName,
    conversationId,
    rolloutId,
    attemptId,
  });
  return { span, runContext };
}

/** Marks `span` failed with `error` (status, `error.type`, exception event) and ends it. */
export function endWithError(span: Span, error: unknown): void {
  guard('recording an error', () => {
    span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    if (error instanceof Error) span.recordException(error);
    span.end();
  });
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
