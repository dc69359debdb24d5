/**
 * Imports on the real receiver: an OpenAI chat-format conversation and a design-document trajectory go in through
 * POST /v1/trajectories (and `trajectories import`), come out of the trajectory API with their turns, tool calls,
 * task and reward, and round-trip into an openai-sft export with the same messages; the same id twice is one
 * trajectory; bad input is a 400 naming the field, with nothing stored.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { defaultFormatOptions } from '../../src/exporters/export-format.ts';
import { getExportFormat } from '../../src/exporters/formats/index.ts';
import { selectSummaries, writeTrajectories } from '../../src/exporters/run-export.ts';
import { storeTrajectorySource } from '../../src/exporters/trajectory-source.ts';
import { defaultTenant } from '../../src/model/tenant.ts';
import { runCli } from '../cli/run-cli.ts';
import { queryRows, startTestReceiver, temporaryDirectory } from '../helpers/test-receiver.ts';

const directory = temporaryDirectory('imports-');
let receiver: Receiver;

const weather = {
  id: 'conversation-1',
  task: 'weather in Paris',
  task_id: 'weather',
  agent: 'forecaster',
  model: 'gpt-4o',
  reward: 1,
  start_time: '2026-11-30T09:00:00Z',
  tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
  messages: [
    { role: 'system', content: 'You answer briefly.' },
    { role: 'user', content: 'What is the weather in Paris?' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '18 C, sunny' },
    { role: 'assistant', content: 'It is 18 C and sunny in Paris.' },
  ],
};

const documentRun = {
  id: 'letta-run-7',
  agent_id: 'agent-uuid',
  data: {
    metadata: { start_time: '2026-11-30T10:00:00Z', outcome: 'failure' },
    turns: [
      {
        turn_id: 1,
        timestamp: '2026-11-30T10:00:01Z',
        user_message: 'Book a table for two',
        assistant_messages: [
          {
            role: 'assistant',
            content: 'Checking.',
            tool_calls: [{ id: 't1', type: 'function', function: { name: 'book', arguments: { people: 2 } } }],
          },
        ],
        tool_results: [{ tool_call_id: 't1', content: 'no tables left', is_error: true }],
      },
      {
        turn_id: 2,
        timestamp: '2026-11-30T10:00:05Z',
        assistant_messages: [{ role: 'assistant', content: 'Sorry, nothing is free.' }],
      },
    ],
  },
};

async function post(body: unknown) {
  const response = await fetch(`${receiver.httpUrl}/v1/trajectories`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function getTrajectory(id: string) {
  return (await (await fetch(`${receiver.httpUrl}/v1/trajectories/${id}`)).json()) as any;
}

beforeAll(async () => {
  receiver = await startTestReceiver({ quietSeconds: 1 });
}, 60_000);

afterAll(async () => {
  await receiver?.close();
});

describe('POST /v1/trajectories', () => {
  let weatherId: string;

  it('imports a chat-format conversation as a trajectory', async () => {
    const { status, body } = await post(weather);
    expect(status).toBe(202);
    expect(body.imported).toHaveLength(1);
    weatherId = body.imported[0].trajectory_id;
    expect(body.imported[0]).toMatchObject({
      id: 'conversation-1',
      trajectory_id: expect.stringMatching(/^[0-9a-f]{32}-[0-9a-f]{16}$/),
    });
    await receiver.flush();
    const trajectory = await getTrajectory(weatherId);
    expect(trajectory).toMatchObject({
      agent_name: 'forecaster',
      task: 'weather in Paris',
      task_id: 'weather',
      final_reward: 1,
      outcome: 'success',
      turn_count: 2,
      tool_call_count: 1,
    });
    expect(trajectory.turns[0].model).toBe('gpt-4o');
    expect(trajectory.turns[0].tool_calls[0]).toMatchObject({
      name: 'get_weather',
      call_id: 'call_1',
      arguments: '{"city":"Paris"}',
      result: '18 C, sunny',
    });
    expect(trajectory.turns[1].output_message).toMatchObject({
      role: 'assistant',
      content: 'It is 18 C and sunny in Paris.',
    });
  });

  it('round-trips into an openai-sft export with the same messages', async () => {
    const source = storeTrajectorySource(receiver.store.client, defaultTenant, { quietSeconds: 1 });
    let summaries = await selectSummaries(source, { agent: 'forecaster' });
    const deadline = Date.now() + 20_000;
    while (summaries.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      summaries = await selectSummaries(source, { agent: 'forecaster' });
    }
    const out = join(directory, 'sft.jsonl');
    const summary = await writeTrajectories(summaries, {
      source,
      format: getExportFormat('openai-sft'),
      options: defaultFormatOptions,
      out,
      encoding: 'jsonl',
    });
    expect(summary.records).toBe(1);
    const record = JSON.parse(readFileSync(out, 'utf8').trim());
    const strip = (message: any) => {
      const { weight: _weight, ...rest } = message;
      return rest;
    };
    // Exactly the messages imported (openai-sft adds only the training weights).
    expect(record.messages.map(strip)).toEqual(weather.messages);
    expect(record.tools).toEqual(weather.tools);
  });

  it('imports the design documents’ trajectory format', async () => {
    const { status, body } = await post(documentRun);
    expect(status).toBe(202);
    await receiver.flush();
    const trajectory = await getTrajectory(body.imported[0].trajectory_id);
    expect(trajectory).toMatchObject({
      agent_name: 'agent-uuid',
      task: 'Book a table for two',
      final_reward: 0,
      outcome: 'failure',
      turn_count: 2,
    });
    expect(trajectory.turns[0].tool_calls[0]).toMatchObject({
      name: 'book',
      status: 'error',
      result: 'no tables left',
    });
    expect(trajectory.start_time_unix_nano).toBe(String(Date.parse('2026-11-30T10:00:00Z') * 1_000_000));
  });

  it('is idempotent by the client’s id', async () => {
    const before = await queryRows<{ n: string }>(receiver, 'SELECT count() AS n FROM spans FINAL');
    const again = await post({ trajectories: [weather, documentRun] });
    expect(again.status).toBe(202);
    await receiver.flush();
    const after = await queryRows<{ n: string }>(receiver, 'SELECT count() AS n FROM spans FINAL');
    expect(after).toEqual(before);
    const list = (await (await fetch(`${receiver.httpUrl}/v1/trajectories`)).json()) as any;
    expect(list.trajectories).toHaveLength(2);
    expect(again.body.imported[0].trajectory_id).toBe(weatherId);
  });

  it('answers 400 naming the field, and stores nothing', async () => {
    const before = await queryRows<{ n: string }>(receiver, 'SELECT count() AS n FROM spans FINAL');
    const cases: Array<[unknown, RegExp]> = [
      [{ id: 'x' }, /"messages".*"data"/],
      [{ ...weather, id: '' }, /^id:/],
      [{ ...weather, messages: [{ role: 'robot', content: 'hi' }] }, /^messages\.0\.role:/],
      [{ ...weather, reward: 'high' }, /^reward:/],
      [{ ...weather, colour: 'red' }, /unknown field "colour"/],
      [{ ...documentRun, data: { turns: [] } }, /^data\.turns:/],
      [
        { trajectories: [weather, { ...weather, messages: [{ role: 'tool', content: 'x' }] }] },
        /^trajectories\.1\.messages\.0\.tool_call_id:/,
      ],
      [{ trajectories: [weather, weather] }, /trajectories\.1\.id: "conversation-1" is given twice/],
    ];
    for (const [body, message] of cases) {
      const answer = await post(body);
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(answer.body.error).toMatch(message);
    }
    await receiver.flush();
    expect(await queryRows<{ n: string }>(receiver, 'SELECT count() AS n FROM spans FINAL')).toEqual(before);
  });
});

describe('trajectories import', () => {
  it('imports a JSONL file in batches and prints what it imported', async () => {
    const file = join(directory, 'runs.jsonl');
    const runs = Array.from({ length: 3 }, (_, index) => ({
      id: `cli-${index}`,
      agent: 'cli-agent',
      reward: index / 2,
      messages: [
        { role: 'user', content: `question ${index}` },
        { role: 'assistant', content: `answer ${index}` },
      ],
    }));
    writeFileSync(file, runs.map((run) => JSON.stringify(run)).join('\n') + '\n');
    const result = await runCli(['import', file, '--receiver', receiver.httpUrl, '--batch', '2']);
    expect(result.stderr).toContain('imported 3 of 3');
    expect(result.code).toBe(0);
    await receiver.flush();
    const list = (await (await fetch(`${receiver.httpUrl}/v1/trajectories?agent=cli-agent`)).json()) as any;
    expect(list.trajectories.map((t: any) => t.final_reward).sort()).toEqual([0, 0.5, 1]);

    // One pretty-printed object is a file of one trajectory.
    const pretty = join(directory, 'one.json');
    writeFileSync(pretty, JSON.stringify({ ...runs[0], id: 'cli-pretty' }, null, 2));
    const single = await runCli(['import', pretty, '--receiver', receiver.httpUrl]);
    expect(single.stderr).toContain('imported 1 of 1');

    writeFileSync(file, JSON.stringify(runs[0]) + '\n{"id": "broken"}\n');
    const bad = await runCli(['import', file, '--receiver', receiver.httpUrl]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/line 2: .*"messages"/);
  });
});
