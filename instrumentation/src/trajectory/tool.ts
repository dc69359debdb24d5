/**
 * `tool(name, fn)`: wraps a tool implementation so every call is an `execute_tool {name}` span with the tool call
 * id the model gave (which links the execution to the LLM call that requested it), the arguments and the result.
 */
import { context, SpanKind, trace, type Attributes } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_DESCRIPTION,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  OPERATION_EXECUTE_TOOL,
} from '../attributes.ts';
import { setContentAttribute } from '../content.ts';
import { guard } from '../guard.ts';
import { currentTracer } from '../state.ts';
import { endWithError } from './trajectory.ts';
import { trajectoryInheritedAttributes } from './trajectory-context.ts';

export interface ToolOptions {
  /** `gen_ai.tool.description`. */
  description?: string;
}

/** The model's tool call this execution answers. */
export interface ToolCall {
  /** The model's tool call id (`tool_calls[].id`, `call_id`, `tool_use.id`): `gen_ai.tool.call.id`. */
  id?: string;
}

export type InstrumentedTool<Args, Result> = (args: Args, call?: ToolCall) => Result;

/**
 * Returns `fn` wrapped in an `execute_tool` span per call. Call it as `wrapped(args, { id: toolCall.id })`; the
 * result (or the promise of it) and any error are exactly `fn`'s.
 */
export function tool<Args, Result>(
  name: string,
  fn: (args: Args, call: ToolCall) => Result,
  options: ToolOptions = {},
): InstrumentedTool<Args, Result> {
  return (args: Args, call: ToolCall = {}): Result => {
    const span = guard('starting a tool span', () => {
      const parentContext = context.active();
      const attributes: Attributes = {
        ...trajectoryInheritedAttributes(parentContext),
        [ATTR_GEN_AI_OPERATION_NAME]: OPERATION_EXECUTE_TOOL,
        [ATTR_GEN_AI_TOOL_NAME]: name,
        [ATTR_GEN_AI_TOOL_TYPE]: 'function',
      };
      if (call.id !== undefined) attributes[ATTR_GEN_AI_TOOL_CALL_ID] = call.id;
      if (options.description !== undefined) attributes[ATTR_GEN_AI_TOOL_DESCRIPTION] = options.description;
      const started = currentTracer().startSpan(
        `${OPERATION_EXECUTE_TOOL} ${name}`,
        { kind: SpanKind.INTERNAL, attributes },
        parentContext,
      );
      setContentAttribute(started, ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, args);
      return started;
    });
    if (!span) return fn(args, call);
    const recordResult = (value: unknown): void => {
      guard('recording a tool result', () => {
        setContentAttribute(span, ATTR_GEN_AI_TOOL_CALL_RESULT, value);
        span.end();
      });
    };
    let result: Result;
    try {
      result = context.with(trace.setSpan(context.active(), span), () => fn(args, call));
    } catch (error) {
      endWithError(span, error);
      throw error;
    }
    if (typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function') {
      return (result as unknown as PromiseLike<unknown>).then(
        (value) => {
          recordResult(value);
          return value;
        },
        (error: unknown) => {
          endWithError(span, error);
          throw error;
        },
      ) as Result;
    }
    recordResult(result);
    return result;
  };
}
