/**
 * Wraps an SDK method that makes one LLM call (`chat.completions.create`, `responses.create`, `messages.create`)
 * in a `chat {model}` CLIENT span, without changing what the method returns.
 *
 * Stainless-generated SDKs (openai, @anthropic-ai/sdk) return an `APIPromise` whose body is parsed lazily, only
 * when the caller awaits it (or calls `withResponse()`); awaiting it ourselves would read a body the caller may
 * want raw (`asResponse()`). So the returned object is the SDK's own, observed from the inside: its
 * `parseResponse` sees the parsed result (or the `Stream`), its `responsePromise` sees HTTP errors, and a stream's
 * iterator is wrapped in place, so `tee()`, `toReadableStream()` and `controller` keep working.
 */
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '../attributes.ts';
import { guard, reportOnce } from '../guard.ts';
import { currentTracer, instrumentationState } from '../state.ts';
import { trajectoryInheritedAttributes } from '../trajectory/trajectory-context.ts';
import { isRecord } from './messages.ts';

/** Assembles a streamed response chunk by chunk, and records what arrived on the span when the stream ends. */
export interface StreamAssembler {
  add(chunk: unknown): void;
  record(span: Span): void;
  /** A failure the stream reported as an event rather than by throwing (Responses API `error`, `response.failed`). */
  failure?(): { type: string; message: string } | undefined;
}

/** What one provider API contributes: its request attributes, its response and stream mapping. */
export interface LlmCallAdapter {
  providerName: string;
  operationName: string;
  /**
   * Run the SDK call with tracing suppressed: @anthropic-ai/sdk 1.x emits its own `anthropic.messages.create` span
   * when a tracer provider is registered, which would count every LLM call twice.
   */
  suppressSdkSpans: boolean;
  requestAttributes(params: Record<string, unknown>): Attributes;
  recordRequestContent(span: Span, params: Record<string, unknown>): void;
  recordResponse(span: Span, response: unknown): void;
  createStreamAssembler(): StreamAssembler;
}

const WRAPPED = Symbol.for('@agent-trajectories/instrumentation.wrapped');

/**
 * Ends the span of a stream the application abandoned without `return()`: a `break` out of one `tee()` branch, or an
 * iterator it simply dropped. The held value reaches the call and its assembler, never the iterator, so registering
 * does not keep the stream alive.
 */
const abandonedStreams = new FinalizationRegistry<{ call: LlmCall; assembler: StreamAssembler }>(
  ({ call, assembler }) => {
    guard('ending an abandoned stream', () => call.finishStream(assembler));
  },
);

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

export function isWrapped(method: unknown): boolean {
  return typeof method === 'function' && (method as unknown as Record<symbol, unknown>)[WRAPPED] === true;
}

/** Returns `original` wrapped in an LLM span per call; the wrapper calls straight through while disabled. */
export function wrapLlmMethod(original: AnyFunction, adapter: LlmCallAdapter): AnyFunction {
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    if (!instrumentationState().enabled) return original.apply(this, args);
    const call = guard('starting an LLM span', () => LlmCall.start(this, args[0], adapter));
    if (!call) return original.apply(this, args);
    let result: unknown;
    try {
      result = context.with(call.callContext, () => original.apply(this, args));
    } catch (error) {
      call.fail(error);
      throw error;
    }
    guard('observing an LLM call result', () => call.observe(result));
    return result;
  };
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  Object.defineProperty(wrapped, 'name', { value: original.name, configurable: true });
  return wrapped;
}

class LlmCall {
  private ended = false;
  private parseStarted = false;
  private firstChunkSeen = false;

  private constructor(
    readonly span: Span,
    readonly callContext: Context,
    private readonly adapter: LlmCallAdapter,
    private readonly params: Record<string, unknown>,
    private readonly startedAt: number,
  ) {}

  static start(resource: unknown, body: unknown, adapter: LlmCallAdapter): LlmCall {
    const params = isRecord(body) ? body : {};
    const model = typeof params['model'] === 'string' ? params['model'] : undefined;
    const parentContext =
      guard('placing an LLM span', () => instrumentationState().modelCallParent?.()) ?? context.active();
    const attributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: adapter.operationName,
      [ATTR_GEN_AI_PROVIDER_NAME]: adapter.providerName,
      ...(model !== undefined ? { [ATTR_GEN_AI_REQUEST_MODEL]: model } : {}),
      ...serverAttributes(resource),
      ...trajectoryInheritedAttributes(parentContext),
      ...guard('mapping request attributes', () => adapter.requestAttributes(params), {}),
    };
    const span = currentTracer().startSpan(
      model !== undefined ? `${adapter.operationName} ${model}` : adapter.operationName,
      { kind: SpanKind.CLIENT, attributes },
      parentContext,
    );
    guard('recording request content', () => adapter.recordRequestContent(span, params));
    let callContext = trace.setSpan(parentContext, span);
    if (adapter.suppressSdkSpans) callContext = suppressTracing(callContext);
    return new LlmCall(span, callContext, adapter, params, performance.now());
  }

  observe(result: unknown): void {
    if (isApiPromise(result)) {
      this.observeApiPromise(result);
    } else if (isThenable(result)) {
      result.then(
        (value) => this.observeParsed(value),
        (error: unknown) => this.fail(error),
      );
    } else {
      this.observeParsed(result);
    }
  }

  private observeApiPromise(apiPromise: ApiPromiseLike): void {
    apiPromise.parseResponse = aroundMethod(apiPromise.parseResponse, (parseResponse) => {
      this.parseStarted = true;
      let parsed: unknown;
      try {
        parsed = parseResponse();
      } catch (error) {
        this.fail(error);
        throw error;
      }
      if (!isThenable(parsed)) return this.observeParsed(parsed);
      return parsed.then(
        (value) => this.observeParsed(value),
        (error: unknown) => {
          this.fail(error);
          throw error;
        },
      );
    });
    // A request that fails (HTTP error, network error after retries) rejects `responsePromise`; the replacement
    // rejects with the same error, so every consumer of the APIPromise sees exactly what it saw before.
    apiPromise.responsePromise = apiPromise.responsePromise.then(
      (props) => props,
      (error: unknown) => {
        this.fail(error);
        throw error;
      },
    );
    // `asResponse()` alone hands the raw body to the caller and never parses it: the span ends without the output.
    const originalAsResponse = apiPromise.asResponse;
    if (typeof originalAsResponse === 'function') {
      apiPromise.asResponse = aroundMethod(originalAsResponse, (asResponse) => {
        const response = asResponse();
        if (isThenable(response)) {
          response.then(
            () => {
              if (!this.parseStarted) this.end();
            },
            () => {},
          );
        }
        return response;
      });
    }
  }

  /** Sees the SDK's parsed result; returns it unchanged (a stream is instrumented in place). */
  private observeParsed(value: unknown): unknown {
    guard('recording an LLM response', () => {
      if (this.params['stream'] === true && isAsyncIterable(value)) {
        this.instrumentStream(value);
      } else {
        if (!this.ended) this.adapter.recordResponse(this.span, value);
        this.end();
      }
    });
    return value;
  }

  private instrumentStream(stream: object): void {
    const assembler = this.adapter.createStreamAssembler();
    const target = stream as { iterator?: unknown; [Symbol.asyncIterator]?: unknown };
    const wrapIterator = (createIterator: () => unknown): unknown => this.wrapIterator(createIterator(), assembler);
    // openai and @anthropic-ai/sdk streams produce every iterator (for-await, tee, toReadableStream) via `iterator`.
    if (typeof target.iterator === 'function') {
      target.iterator = aroundMethod(target.iterator as AnyFunction, wrapIterator);
      return;
    }
    Object.defineProperty(stream, Symbol.asyncIterator, {
      configurable: true,
      writable: true,
      value: aroundMethod(target[Symbol.asyncIterator] as AnyFunction, wrapIterator),
    });
  }

  private wrapIterator(iterator: unknown, assembler: StreamAssembler): unknown {
    if (!isRecord(iterator) || typeof iterator['next'] !== 'function') return iterator;
    const inner = iterator as unknown as AsyncIterator<unknown>;
    const wrapped: AsyncIterableIterator<unknown> = {
      next: (...args: [] | [unknown]): Promise<IteratorResult<unknown>> =>
        inner.next(...args).then(
          (result) => {
            guard('assembling a streamed response', () => {
              if (result.done) {
                this.finishStream(assembler);
              } else {
                this.markFirstChunk();
                assembler.add(result.value);
              }
            });
            return result;
          },
          (error: unknown) => {
            guard('recording a failed stream', () => assembler.record(this.span));
            this.fail(error);
            throw error;
          },
        ),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    if (typeof inner.return === 'function') {
      const innerReturn = inner.return.bind(inner);
      // `break` out of for-await (or cancelling a ReadableStream): the caller abandoned the stream.
      wrapped.return = (value?: unknown) => {
        this.finishStream(assembler);
        return innerReturn(value);
      };
    }
    if (typeof inner.throw === 'function') {
      const innerThrow = inner.throw.bind(inner);
      wrapped.throw = (error?: unknown) => {
        this.fail(error);
        return innerThrow(error);
      };
    }
    abandonedStreams.register(wrapped, { call: this, assembler });
    return wrapped;
  }

  private markFirstChunk(): void {
    if (this.firstChunkSeen) return;
    this.firstChunkSeen = true;
    this.span.setAttribute(ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, (performance.now() - this.startedAt) / 1000);
  }

  finishStream(assembler: StreamAssembler): void {
    if (this.ended) return;
    guard('recording a streamed response', () => assembler.record(this.span));
    const failure = guard('reading a stream failure', () => assembler.failure?.());
    if (failure) {
      this.span.setAttribute(ATTR_ERROR_TYPE, failure.type);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
    }
    this.end();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    guard('ending an LLM span', () => this.span.end());
  }

  fail(error: unknown): void {
    if (this.ended) return;
    guard('recording an LLM error', () => {
      this.span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
      this.span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      if (error instanceof Error) this.span.recordException(error);
    });
    this.end();
  }
}

/**
 * A replacement for an SDK method whose `invoke` runs the original with the receiver and arguments the SDK called
 * it with, so the SDK sees no difference; `around` observes what happens before and after, with the LlmCall as
 * its own `this`.
 */
function aroundMethod(original: AnyFunction, around: (invoke: () => unknown) => unknown): AnyFunction {
  return function (this: unknown, ...args: unknown[]): unknown {
    return around(() => original.apply(this, args));
  };
}

interface ApiPromiseLike {
  parseResponse: AnyFunction;
  responsePromise: Promise<unknown>;
  asResponse?: AnyFunction;
}

function isApiPromise(value: unknown): value is ApiPromiseLike {
  if (!isThenable(value)) return false;
  const candidate = value as unknown as Record<string, unknown>;
  return typeof candidate['parseResponse'] === 'function' && isThenable(candidate['responsePromise']);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function isAsyncIterable(value: unknown): value is object {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function'
  );
}

/** `error.type`: the SDK's error class (`BadRequestError`, `APIConnectionError`, ...) or the error's name. */
export function errorType(error: unknown): string {
  if (error instanceof Error) {
    const constructorName = error.constructor?.name;
    return constructorName && constructorName !== 'Error' ? constructorName : error.name || '_OTHER';
  }
  return '_OTHER';
}

function serverAttributes(resource: unknown): Attributes {
  if (!isRecord(resource)) return {};
  const client = resource['_client'];
  if (!isRecord(client) || typeof client['baseURL'] !== 'string') return {};
  try {
    const url = new URL(client['baseURL']);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    return { [ATTR_SERVER_ADDRESS]: url.hostname, [ATTR_SERVER_PORT]: port };
  } catch (error) {
    reportOnce('reading the SDK base URL', error);
    return {};
  }
}
