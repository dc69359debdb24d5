/**
 * `recall(task)`: before an agent acts, fetch how similar past tasks went from the receiver
 * (`GET /v1/context/examples`) as few-shot messages and a prompt block to prepend. Like the rest of this package it
 * must never break the agent: whatever goes wrong (receiver down, slow, refusing, answering nonsense, bad options)
 * yields an empty result, and each kind of failure is reported once through the OTel diag logger.
 */
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { parseExamplesAnswer, type ExamplesAnswer, type RecalledMessage } from './examples-answer.ts';
import { reportOnce } from './guard.ts';
import { receiverApiUrl, resolveReceiverEndpoint } from './receiver-endpoint.ts';

export type { RecalledMessage, RecalledToolCall } from './examples-answer.ts';

export interface RecallOptions {
  /**
   * Base URL of the receiver (its OTLP/HTTP port, which also serves the JSON API).
   * @default `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` without `/v1/traces`, else `OTEL_EXPORTER_OTLP_ENDPOINT`, else
   * `http://localhost:4318`
   */
  url?: string;
  /**
   * Bearer token of the tenant whose history is searched.
   * @default the `Authorization` entry of `OTEL_EXPORTER_OTLP_TRACES_HEADERS` / `OTEL_EXPORTER_OTLP_HEADERS`
   */
  token?: string;
  /** Only runs of this agent (`gen_ai.agent.name`). */
  agent?: string;
  /** Only runs of this task id (`trajectory.task.id`). */
  taskId?: string;
  /** Only successful runs whose final reward is at least this. */
  minReward?: number;
  /** Examples at most (1-20). @default the receiver's, 3 */
  limit?: number;
  /** Token budget of all examples together (50-32000). @default the receiver's, 2000 */
  maxTokens?: number;
  /** Give up (and return the empty result) after this long. @default 2000 */
  timeoutMillis?: number;
}

export interface RecallResult {
  /** Few-shot pairs (a user message with a past task, an assistant message with how it went). */
  messages: RecalledMessage[];
  /** The same examples as one text block for a system prompt; '' when there are none. */
  prompt: string;
  /** The trajectories the examples come from, in the receiver's order (closest first). */
  trajectoryIds: string[];
}

export const defaultRecallTimeoutMillis = 2000;

/** The receiver refuses longer task texts; the start of a long task says most about what it is. */
const maxTaskLength = 2000;

type FailureKind = 'invalid options' | 'timeout' | 'unreachable' | 'refused' | 'bad answer' | 'unexpected';

class RecallError extends Error {
  override readonly name = 'RecallError';
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

/** Similar successful past runs for `task`; the empty result (never an exception) when they cannot be had. */
export async function recall(task: string, options: RecallOptions = {}): Promise<RecallResult> {
  try {
    return await fetchExamples(task, options);
  } catch (error) {
    const kind = error instanceof RecallError ? error.kind : 'unexpected';
    reportOnce(`recall() (${kind})`, error);
    return { messages: [], prompt: '', trajectoryIds: [] };
  }
}

async function fetchExamples(task: string, options: RecallOptions): Promise<ExamplesAnswer> {
  const { url, authorization, timeoutMillis } = prepareRequest(task, options);
  // Where the request was sent, without the query: the task text is the agent's content, not log material.
  const where = `GET ${url.origin}${url.pathname}`;
  const signal = AbortSignal.timeout(timeoutMillis);
  // The receiver's own API call is not part of the agent's trajectory (an HTTP instrumentation would trace it).
  const response = await context
    .with(suppressTracing(context.active()), () =>
      fetch(url, {
        headers: { accept: 'application/json', ...(authorization !== undefined ? { authorization } : {}) },
        signal,
      }),
    )
    .catch((error: unknown) => {
      throw transportError(error, where, timeoutMillis);
    });
  const text = await response.text().catch((error: unknown) => {
    throw transportError(error, where, timeoutMillis);
  });
  if (!response.ok) {
    const hint =
      response.status === 401 || response.status === 403
        ? '; pass the tenant token as the token option or in OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>'
        : response.status === 404
          ? '; the url must be the receiver base URL and the receiver must serve /v1/context/examples'
          : '';
    throw new RecallError('refused', `${where} answered ${response.status}${receiverMessage(text)}${hint}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RecallError('bad answer', `${where} answered ${response.status} with a body that is not JSON`);
  }
  try {
    return parseExamplesAnswer(body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RecallError('bad answer', `${where} answered an examples body this version cannot read: ${reason}`);
  }
}

function prepareRequest(
  task: string,
  options: RecallOptions,
): { url: URL; authorization: string | undefined; timeoutMillis: number } {
  const timeoutMillis = options.timeoutMillis ?? defaultRecallTimeoutMillis;
  if (!(Number.isFinite(timeoutMillis) && timeoutMillis > 0))
    throw new RecallError('invalid options', `timeoutMillis must be a positive number, got ${String(timeoutMillis)}`);
  const trimmed = typeof task === 'string' ? task.trim() : '';
  if (trimmed === '') throw new RecallError('invalid options', 'the task must be a non-empty text describing the task');
  let endpoint;
  try {
    endpoint = resolveReceiverEndpoint(options.url, options.token);
  } catch (error) {
    throw new RecallError('invalid options', error instanceof Error ? error.message : String(error));
  }
  const url = receiverApiUrl(endpoint.baseUrl, '/v1/context/examples');
  const query: Array<[string, string | number | undefined]> = [
    ['task', trimmed.slice(0, maxTaskLength)],
    ['limit', options.limit],
    ['max_tokens', options.maxTokens],
    ['agent', options.agent],
    ['task_id', options.taskId],
    ['min_reward', options.minReward],
  ];
  for (const [name, value] of query) if (value !== undefined) url.searchParams.set(name, String(value));
  return { url, authorization: endpoint.authorization, timeoutMillis };
}

function transportError(error: unknown, where: string, timeoutMillis: number): RecallError {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return new RecallError(
      'timeout',
      `${where} did not answer within ${timeoutMillis} ms; check the receiver or raise timeoutMillis`,
    );
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code;
  const reason = typeof code === 'string' ? code : (cause?.message ?? String(error));
  return new RecallError('unreachable', `${where} failed (${reason}); is the receiver running at that URL?`);
}

/** The receiver's `{ "error": "..." }` text, bounded, for the log line. */
function receiverMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === 'string') return `: ${parsed.error.slice(0, 300)}`;
  } catch {
    // Not the receiver's JSON error: the status alone says enough.
  }
  return '';
}
