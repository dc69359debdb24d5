import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reward, tool, trajectory } from '../src/index.ts';
import { calculatorTool, onlySpan, startFixture, type Fixture } from './helpers.ts';

let fixture: Fixture;
beforeAll(async () => {
  fixture = await startFixture();
});
afterAll(async () => {
  await fixture.close();
});
beforeEach(() => {
  fixture.reregister();
});

const calculate = tool(
  'calculator',
  (args: { expression: string }) => {
    if (!/^[\d\s+\-*/().]+$/.test(args.expression)) throw new RangeError(`not arithmetic: ${args.expression}`);
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the pattern above admits only digits and operators
    return { value: Function(`return (${args.expression})`)() as number };
  },
  { description: 'Evaluates an arithmetic expression' },
);

describe('trajectory()', () => {
  it('wraps an agent run in an invoke_agent span that parents its LLM, tool and reward spans', async () => {
    const answer = await trajectory(
      'What is 6 * 7?',
      async () => {
        const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'calculator: What is 6 * 7?' }];
        const first = await fixture.openai.chat.completions.create({
          model: 'gpt-agent',
          messages,
          tools: [calculatorTool],
        });
        const call = first.choices[0]?.message.tool_calls?.[0];
        if (call?.type !== 'function') throw new Error('expected a tool call');
        const result = calculate(JSON.parse(call.function.arguments) as { expression: string }, { id: call.id });
        messages.push(first.choices[0]!.message, {
          role: 'tool',
          tool_call_id: call.id,
          content: JSON.stringify(result),
        });
        const final = await fixture.openai.chat.completions.create({ model: 'gpt-agent', messages });
        reward(1, { comment: 'correct' });
        return final.choices[0]?.message.content;
      },
      { agentName: 'math-agent', agentId: 'agent-7', taskId: 'task-42', conversationId: 'conv-1' },
    );
    expect(answer).toBe('The answer is {"value":42}.');

    const agent = onlySpan(fixture.exporter, 'invoke_agent math-agent');
    expect(agent.kind).toBe(SpanKind.INTERNAL);
    expect(agent.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'math-agent',
      'gen_ai.agent.id': 'agent-7',
      'gen_ai.conversation.id': 'conv-1',
      'trajectory.task.description': 'What is 6 * 7?',
      'trajectory.task.id': 'task-42',
    });
    const spans = fixture.exporter.getFinishedSpans();
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1);
    for (const span of spans.filter((candidate) => candidate !== agent))
      expect(span.parentSpanContext?.spanId).toBe(agent.spanContext().spanId);
    const llmSpans = spans.filter((span) => span.name === 'chat gpt-agent');
    expect(llmSpans).toHaveLength(2);
    expect(llmSpans[0]?.attributes['gen_ai.conversation.id']).toBe('conv-1');

    const toolSpan = onlySpan(fixture.exporter, 'execute_tool calculator');
    expect(toolSpan.kind).toBe(SpanKind.INTERNAL);
    expect(toolSpan.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'calculator',
      'gen_ai.tool.type': 'function',
      'gen_ai.tool.description': 'Evaluates an arithmetic expression',
      'gen_ai.tool.call.id': 'call_1_0',
      'gen_ai.tool.call.arguments': '{"expression":"6 * 7"}',
      'gen_ai.tool.call.result': '{"value":42}',
    });
    const rewardSpan = onlySpan(fixture.exporter, 'agentlightning.annotation');
    expect(rewardSpan.attributes).toEqual({
      'agentlightning.reward.0.name': 'primary',
      'agentlightning.reward.0.value': 1,
      'trajectory.reward.comment': 'correct',
      'gen_ai.conversation.id': 'conv-1',
    });
  });

  it('records a throwing tool as an error span and rethrows the same error', async () => {
    const error = await trajectory('bad input', async () =>
      calculate({ expression: 'rm -rf /' }, { id: 'call_x' }),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RangeError);
    const toolSpan = onlySpan(fixture.exporter, 'execute_tool calculator');
    expect(toolSpan.status.code).toBe(SpanStatusCode.ERROR);
    expect(toolSpan.attributes['error.type']).toBe('RangeError');
    expect(toolSpan.attributes['gen_ai.tool.call.result']).toBeUndefined();
    const agent = onlySpan(fixture.exporter, 'invoke_agent agent');
    expect(agent.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('keeps synchronous tools and trajectories synchronous, and records text results as text', () => {
    const greet = tool('greet', (name: string) => `hello ${name}`);
    const result = trajectory('greet', () => greet('ada'));
    expect(result).toBe('hello ada');
    expect(onlySpan(fixture.exporter, 'execute_tool greet').attributes['gen_ai.tool.call.result']).toBe('hello ada');
  });

  it('nests trajectories as child invoke_agent spans that inherit ids, with rewards on their own trajectory', async () => {
    await trajectory(
      'plan a trip',
      async () => {
        await trajectory('find flights', () => Promise.resolve(reward(0.5, { name: 'subtask' })), {
          agentName: 'flight-agent',
        });
        calculate({ expression: '1 + 1' });
        reward(0.8);
      },
      { agentName: 'planner', rolloutId: 'rollout-9', attemptId: 'attempt-2' },
    );
    const planner = onlySpan(fixture.exporter, 'invoke_agent planner');
    const flights = onlySpan(fixture.exporter, 'invoke_agent flight-agent');
    expect(flights.parentSpanContext?.spanId).toBe(planner.spanContext().spanId);
    const rewards = fixture.exporter.getFinishedSpans().filter((span) => span.name === 'agentlightning.annotation');
    expect(
      rewards.map((span) => [
        span.parentSpanContext?.spanId,
        span.attributes['agentlightning.reward.0.name'],
        span.attributes['agentlightning.reward.0.value'],
      ]),
    ).toEqual([
      [flights.spanContext().spanId, 'subtask', 0.5],
      [planner.spanContext().spanId, 'primary', 0.8],
    ]);
    for (const span of fixture.exporter.getFinishedSpans()) {
      expect(span.attributes['agentlightning.rollout_id'], span.name).toBe('rollout-9');
      expect(span.attributes['agentlightning.attempt_id'], span.name).toBe('attempt-2');
    }
  });

  it('puts a reward called inside a tool on the trajectory span, not the tool span', async () => {
    const judge = tool('judge', () => {
      reward(1, { name: 'judge' });
      return Promise.resolve('ok');
    });
    await trajectory('judged', async () => judge(undefined));
    const agent = onlySpan(fixture.exporter, 'invoke_agent agent');
    expect(onlySpan(fixture.exporter, 'agentlightning.annotation').parentSpanContext?.spanId).toBe(
      agent.spanContext().spanId,
    );
  });

  it('stamps Agent Lightning ids on spans of other instrumentations started inside the trajectory', async () => {
    await trajectory(
      'with foreign span',
      () => {
        trace.getTracer('some-http-instrumentation').startSpan('GET /weather').end();
        return Promise.resolve();
      },
      { rolloutId: 'ro-1', attemptId: 'at-1' },
    );
    expect(onlySpan(fixture.exporter, 'GET /weather').attributes).toMatchObject({
      'agentlightning.rollout_id': 'ro-1',
      'agentlightning.attempt_id': 'at-1',
    });
  });

  it('does not record a non-finite reward and does not throw', async () => {
    await trajectory('nan', () => Promise.resolve(reward(Number.NaN)));
    expect(fixture.exporter.getFinishedSpans().map((span) => span.name)).toEqual(['invoke_agent agent']);
  });

  it('gives the redaction hook a copy of tool arguments: the tool gets them unchanged', () => {
    fixture.reregister({
      redactContent: (value) => {
        if (typeof value === 'object' && value !== null && 'password' in value)
          (value as { password: string }).password = '<redacted>';
        return value;
      },
    });
    let received: unknown;
    const login = tool('login', (args: { user: string; password: string }) => {
      received = structuredClone(args);
      return 'ok';
    });
    const args = { user: 'ada', password: 'hunter2' };
    login(args);
    expect(received).toEqual({ user: 'ada', password: 'hunter2' });
    expect(args).toEqual({ user: 'ada', password: 'hunter2' });
    expect(onlySpan(fixture.exporter, 'execute_tool login').attributes['gen_ai.tool.call.arguments']).toBe(
      '{"user":"ada","password":"<redacted>"}',
    );
  });

  it('records the task description and reward comment as content: off with capture off, through the redaction hook', async () => {
    fixture.reregister({ captureMessageContent: false });
    await trajectory('email bob@example.com the report', () =>
      Promise.resolve(reward(1, { comment: 'sent to bob@example.com' })),
    );
    expect(onlySpan(fixture.exporter, 'invoke_agent agent').attributes['trajectory.task.description']).toBeUndefined();
    expect(
      onlySpan(fixture.exporter, 'agentlightning.annotation').attributes['trajectory.reward.comment'],
    ).toBeUndefined();

    fixture.reregister({
      redactContent: (value) => (typeof value === 'string' ? value.replaceAll(/[\w.]+@[\w.]+/g, '<email>') : value),
    });
    await trajectory('email bob@example.com the report', () =>
      Promise.resolve(reward(1, { comment: 'sent to bob@example.com' })),
    );
    expect(onlySpan(fixture.exporter, 'invoke_agent agent').attributes['trajectory.task.description']).toBe(
      'email <email> the report',
    );
    expect(onlySpan(fixture.exporter, 'agentlightning.annotation').attributes['trajectory.reward.comment']).toBe(
      'sent to <email>',
    );
  });
});
