/**
 * The summarizer reads spans without their message history (read-summary-input.ts, queries/summary-spans.sql).
 * The summary rows it writes must be byte-identical to the rows the full read (read-assembly-input.ts) gives, for
 * every kind of trajectory: id and positional tool pairing, failed tools and calls, nested agents, reward spans,
 * evaluation events and records, feedback, tool results only in messages, whole traces, stitched conversations
 * (by history and by conversation id), Agent Lightning rollouts across traces, explicit task ids, media in the
 * first user message, calls without a user message or without output, and rows that keep their messages inline
 * (written before content was stored once).
 */
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { assembleTrajectories } from '../../src/trajectories/assemble-trajectory.ts';
import type { AssemblyInput } from '../../src/trajectories/assembly-input.ts';
import { readAssemblyInput } from '../../src/trajectories/read-assembly-input.ts';
import { readSummaryInput } from '../../src/trajectories/read-summary-input.ts';
import { assembleInParts, independentParts, toSummaryRow } from '../../src/trajectories/summarize-traces.ts';
import { recordSpans } from '../helpers/export-spans.ts';
import { queryRows, startTestReceiver } from '../helpers/test-receiver.ts';
import { agentSpan, call, chat, clock, inside, message, response, rewardSpan, text, tool } from './golden-traces.ts';
import { loadGoldenTraces, send, type GoldenContext } from './views-and-api.ts';

const settings = { quietSeconds: 1, gamma: 0.9, stitchWindowSeconds: 30 };
let receiver: Receiver;
let context: GoldenContext;

beforeAll(async () => {
  receiver = await startTestReceiver(settings);
  context = { receiver, settings, base: Date.now() - 3_600_000, traceIds: [] };
});
afterAll(async () => {
  await receiver?.close();
});

/** Agent-less calls, one trace each: an agent loop re-sending its history, and calls sharing a conversation id. */
function conversations(base: number) {
  return recordSpans((tracer) => {
    const time = clock(base + 2_400_000);
    const user = message('user', text('What is six times seven?'));
    const first = message('assistant', call('call_1', 'lookup', { q: 'six' }));
    const history = [user, first, message('tool', response('call_1', 'six'))];
    chat(tracer, time, ROOT_CONTEXT, 0, 1, [message('system', text('loop')), user], [first]);
    chat(
      tracer,
      time,
      ROOT_CONTEXT,
      3,
      4,
      [message('system', text('loop')), ...history],
      [message('assistant', text('42'))],
    );
    const attributes = { 'gen_ai.conversation.id': 'conv-lean' };
    chat(
      tracer,
      time,
      ROOT_CONTEXT,
      10,
      11,
      [message('user', text('first question'))],
      [message('assistant', text('a'))],
      {
        attributes,
      },
    );
    chat(tracer, time, ROOT_CONTEXT, 12, 13, [message('user', text('unrelated'))], [message('assistant', text('b'))], {
      attributes,
    });
  });
}

/** Agent runs whose summaries lean on the first user message, the task id and calls without output. */
function edgeRuns(base: number) {
  return recordSpans((tracer) => {
    const time = clock(base + 3_000_000);
    // Media in the first user message: its content is an array, hashed as raw JSON for the task id.
    const media = agentSpan(tracer, time, 0, { 'gen_ai.agent.name': 'viewer' });
    const image = { type: 'uri', modality: 'image', uri: 'https://example.com/cat.png' };
    chat(
      tracer,
      time,
      inside(media),
      1,
      2,
      [message('user', text('What is in '), image)],
      [message('assistant', call('call_v', 'zoom', { level: 2 }))],
    );
    tool(tracer, time, inside(media), 2, 3, 'zoom', 'call_v', { level: 2 }, 'a cat');
    // A call that failed without any output, then one without a user message.
    chat(tracer, time, inside(media), 4, 5, [message('system', text('look again'))], undefined, { error: true });
    chat(tracer, time, inside(media), 6, 7, [message('system', text('answer'))], [message('assistant', text('cat'))]);
    media.end(time.at(8));
    // An explicit task id beside the derived task text, and a tool span no call asked for.
    const explicit = agentSpan(tracer, time, 20, { 'gen_ai.agent.name': 'tasked', 'trajectory.task.id': 'task-42' });
    chat(
      tracer,
      time,
      inside(explicit),
      21,
      22,
      [message('user', text('do task 42'))],
      [message('assistant', text('working'))],
    );
    tool(tracer, time, inside(explicit), 22, 23, 'side', undefined, {}, 'extra');
    explicit.end(time.at(24));
  });
}

/** An Agent Lightning rollout whose two attempts' calls arrive in two traces each, with a reward span. */
function rollout(base: number) {
  return recordSpans((tracer) => {
    const time = clock(base + 3_600_000);
    for (const [at, attempt] of [
      [0, 'attempt-1'],
      [5, 'attempt-1'],
      [10, 'attempt-2'],
      [15, 'attempt-2'],
    ] as const) {
      const attributes = { 'agentlightning.rollout_id': 'rollout-lean', 'agentlightning.attempt_id': attempt };
      const root = chat(
        tracer,
        time,
        ROOT_CONTEXT,
        at,
        at + 1,
        [message('user', text(`try ${attempt}`))],
        [message('assistant', text('answer'))],
        { attributes },
      );
      if (at === 5) rewardSpan(tracer, time, inside(root), at + 2, 0.75).setAttributes(attributes);
    }
  });
}

/** Spans as a store written before content was stored once holds them: the messages inline, no refs. */
async function inlineRows(base: number): Promise<string> {
  const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const nanos = (seconds: number) => String(BigInt(base + 4_000_000 + seconds * 1000) * 1_000_000n);
  const system = { role: 'system', content: 'You are terse.' };
  const user = {
    role: 'user',
    content: [
      { type: 'text', text: 'inline ' },
      { type: 'image_url', url: 'x' },
    ],
  };
  const first = {
    role: 'assistant',
    tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
  };
  const llm = (spanId: string, at: number, input: unknown[], output: unknown[]) => ({
    tenant: 'default',
    trace_id: traceId,
    span_id: spanId,
    kind: 'llm',
    name: 'chat',
    start_time_unix_nano: nanos(at),
    end_time_unix_nano: nanos(at + 1),
    input_tokens: 3,
    output_tokens: 2,
    input_messages: JSON.stringify(input),
    output_messages: JSON.stringify(output),
    first_user_text: 'inline ',
  });
  await receiver.store.client.insert({
    table: 'spans',
    values: [
      llm('00000000000000a1', 0, [system, user], [first]),
      llm(
        '00000000000000a2',
        3,
        [system, user, first, { role: 'tool', tool_call_id: 'c1', content: 'ok' }],
        [{ role: 'assistant', content: 'done' }],
      ),
    ],
    format: 'JSONEachRow',
  });
  return traceId;
}

function summaryRows(input: AssemblyInput): string[] {
  return assembleTrajectories(input, { nowMillis: 0, quietSeconds: 0 }).map((trajectory) =>
    JSON.stringify(toSummaryRow(input.tenant, trajectory, 0n)),
  );
}

describe('the summarizer’s lean read', () => {
  let traceIds: string[] = [];

  beforeAll(async () => {
    await loadGoldenTraces(context);
    await send(context, [
      ...(await conversations(context.base)),
      ...(await edgeRuns(context.base)),
      ...(await rollout(context.base)),
    ]);
    const inlineTrace = await inlineRows(context.base);
    await receiver.summaries.flush();
    traceIds = [...context.traceIds, inlineTrace];
  });

  it('gives summary rows byte-identical to the full read, over every trajectory at once and trace by trace', async () => {
    const { client } = receiver.store;
    const full = summaryRows(await readAssemblyInput(client, 'default', traceIds));
    const lean = summaryRows(await readSummaryInput(client, 'default', traceIds));
    expect(full).toHaveLength(14);
    expect(lean).toEqual(full);
    for (const traceId of traceIds) {
      expect(summaryRows(await readSummaryInput(client, 'default', [traceId])), traceId).toEqual(
        summaryRows(await readAssemblyInput(client, 'default', [traceId])),
      );
    }
  });

  it('gives the same trajectories assembled in independent parts as assembled whole, down to parts of one trace', async () => {
    const input = await readSummaryInput(receiver.store.client, 'default', traceIds);
    const whole = summaryRows(input);
    // Stitched conversations and rollouts span several traces, so some parts must hold more than one.
    const parts = independentParts(input, 1);
    expect(parts.length).toBeLessThan(traceIds.length);
    expect(parts.length).toBeGreaterThan(10);
    for (const partTraces of [1, 3, 1000]) {
      const assembled = await assembleInParts(input, partTraces);
      expect(
        assembled.map((trajectory) => JSON.stringify(toSummaryRow('default', trajectory, 0n))),
        `${partTraces}`,
      ).toEqual(whole);
    }
  });

  it('covers what it claims: tools, errors, rewards, stitching, explicit and hashed task ids, several turns', async () => {
    const rows = summaryRows(await readAssemblyInput(receiver.store.client, 'default', traceIds)).map(
      (row) => JSON.parse(row) as Record<string, unknown>,
    );
    const some = (test: (row: Record<string, unknown>) => boolean) => rows.filter(test).length;
    expect(some((row) => Number(row['tool_call_count']) >= 2)).toBeGreaterThan(0);
    expect(some((row) => Number(row['error_count']) > 0)).toBeGreaterThan(0);
    expect(some((row) => row['final_reward'] !== null)).toBeGreaterThan(0);
    expect(some((row) => row['final_reward_source'] === 'feedback')).toBeGreaterThan(0);
    expect(some((row) => Number(row['turn_count']) >= 3)).toBeGreaterThan(0);
    expect(some((row) => row['task_id'] === 'task-42')).toBe(1);
    expect(some((row) => String(row['task_id']).startsWith('msg:'))).toBeGreaterThan(3);
    expect(some((row) => row['conversation_id'] === 'conv-lean' && row['turn_count'] === 2)).toBe(1);
    // The agent loop's two traces became one trajectory named after the first.
    expect(some((row) => row['task'] === 'What is six times seven?' && row['turn_count'] === 2)).toBe(1);
    // The inline rows: the first user message (media included) hashed from the inline input.
    expect(some((row) => row['trace_id'] === 'a1b2c3d4e5f60718293a4b5c6d7e8f90' && row['tool_call_count'] === 1)).toBe(
      1,
    );
    // Two attempts of one rollout, each across two traces; the reward span rewards the first.
    expect(some((row) => row['rollout_id'] === 'rollout-lean' && row['turn_count'] === 2)).toBe(2);
    expect(some((row) => row['rollout_id'] === 'rollout-lean' && row['final_reward'] === 0.75)).toBe(1);
    const [media] = await queryRows<{ array_content: number }>(
      receiver,
      `SELECT countIf(JSONType(JSONExtractArrayRaw(input_messages)[1], 'content') = 'Array') AS array_content
       FROM resolved_spans(tenant = 'default', trace_ids = []) WHERE kind = 'llm'`,
      {},
    );
    expect(Number(media?.array_content)).toBeGreaterThan(0);
  });

  it('is what the summarizer stores: every live summary row equals the full read’s, column by column', async () => {
    const expected = summaryRows(await readAssemblyInput(receiver.store.client, 'default', traceIds)).map(
      (row) => JSON.parse(row) as Record<string, unknown>,
    );
    const stored = await queryRows<Record<string, unknown>>(
      receiver,
      `SELECT * EXCEPT version FROM trajectory_summaries FINAL
       WHERE tenant = 'default' AND is_deleted = 0 ORDER BY start_ns, id`,
      {},
    );
    expect(stored.map((row) => row['id'])).toEqual(expected.map((row) => row['id']));
    stored.forEach((row, index) => {
      const { version: _version, ...columns } = expected[index]!;
      for (const [column, value] of Object.entries(columns))
        expect(String(row[column]), `${String(row['id'])}.${column}`).toBe(String(value));
    });
  });
});
