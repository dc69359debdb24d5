/**
 * `recall()` never breaks the agent: against a local HTTP server standing in for a receiver that hangs, fails,
 * answers nonsense or is not there, it returns the empty result (and reports each kind of failure once through the
 * OTel diag logger); a well-formed examples answer is passed through with the query and token it was asked with.
 */
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startReceiver } from '../../collector/receiver.ts';
import { runAgent } from '../../examples/agent.ts';
import { startModelServer } from '../../examples/model-server.ts';
import { recall, register, type RecallResult } from '../src/index.ts';
import { ensureBuilt, packageDirectory } from './built-package.ts';

const empty: RecallResult = { messages: [], prompt: '', trajectoryIds: [] };

const warnings: string[] = [];
const captureWarnings: DiagLogger = {
  error: (message) => warnings.push(message),
  warn: (message) => warnings.push(message),
  info: () => {},
  debug: () => {},
  verbose: () => {},
};

type Answer = (request: IncomingMessage, response: ServerResponse) => void;
let answer: Answer;
let requests: IncomingMessage[] = [];
let server: Server;
let serverUrl: string;

beforeAll(async () => {
  diag.setLogger(captureWarnings, DiagLogLevel.WARN);
  server = createServer((request, response) => {
    requests.push(request);
    answer(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  diag.disable();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests = [];
});

afterEach(() => {
  vi.unstubAllEnvs();
});

function warningsAbout(kind: string): string[] {
  return warnings.filter((warning) => warning.includes(`recall() (${kind})`));
}

function json(status: number, body: unknown): Answer {
  return (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
}

const examplesAnswer = {
  retrieval: 'ngram',
  tokenizer: 'o200k_base',
  max_tokens: 500,
  tokens: 42,
  truncated: false,
  examples: [
    {
      trajectory_id: 'trajectory-1',
      trace_id: 'a'.repeat(32),
      agent_name: 'support-agent',
      task: 'Refund order 1234',
      similarity: 0.8,
      final_reward: 1,
      text: 'Task: Refund order 1234\nTools: lookup_order, refund\nAnswer: Refunded.\nReward: 1',
      tokens: 42,
    },
  ],
  prompt: 'Past runs of similar tasks that went well:\n\nTask: Refund order 1234 ...',
  messages: [
    { role: 'user', content: 'Refund order 1234' },
    { role: 'assistant', content: 'Called lookup_order, then refund. Answer: Refunded.', finish_reason: 'stop' },
  ],
};

describe('recall() against a receiver that cannot help', () => {
  it('returns the empty result within the timeout when the receiver never answers, and reports it once', async () => {
    answer = () => {}; // holds the request open forever
    const started = performance.now();
    expect(await recall('refund an order', { url: serverUrl, timeoutMillis: 200 })).toEqual(empty);
    // A bound for a hang, not a speed claim: without the timeout this would wait for the test timeout.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(requests).toHaveLength(1);

    expect(await recall('refund another order', { url: serverUrl, timeoutMillis: 200 })).toEqual(empty);
    expect(warningsAbout('timeout')).toHaveLength(1);
    expect(warningsAbout('timeout')[0]).toContain('did not answer within 200 ms');
    // The task text is the agent's content: it stays out of the log.
    expect(warningsAbout('timeout')[0]).not.toContain('refund');
  });

  it('returns the empty result when the receiver answers 500, and logs the status and its error text', async () => {
    answer = json(500, { error: 'internal error' });
    expect(await recall('refund an order', { url: serverUrl })).toEqual(empty);
    expect(warningsAbout('refused')).toEqual([expect.stringContaining('answered 500: internal error')]);
  });

  it('returns the empty result when the receiver answers 200 with a body that is not JSON', async () => {
    answer = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>a proxy login page</html>');
    };
    expect(await recall('refund an order', { url: serverUrl })).toEqual(empty);
    expect(warningsAbout('bad answer')).toEqual([expect.stringContaining('not JSON')]);
  });

  it('returns the empty result when the JSON body is not an examples answer (a message without a role)', async () => {
    answer = json(200, { ...examplesAnswer, messages: [{ content: 'no role' }] });
    expect(await recall('refund an order', { url: serverUrl })).toEqual(empty);
    answer = json(200, { examples: [] });
    expect(await recall('refund an order', { url: serverUrl })).toEqual(empty);
    answer = json(200, {
      ...examplesAnswer,
      messages: [{ role: 'tool', content: 'a tool result without its call id' }],
    });
    expect(await recall('refund an order', { url: serverUrl })).toEqual(empty);
  });

  it('returns the empty result when nothing listens at the URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    expect(await recall('refund an order', { url: `http://127.0.0.1:${port}` })).toEqual(empty);
    expect(warningsAbout('unreachable')).toEqual([expect.stringContaining('ECONNREFUSED')]);
  });

  it('returns the empty result without a request for an empty task or a URL that is not one', async () => {
    expect(await recall('   ', { url: serverUrl })).toEqual(empty);
    expect(await recall('refund an order', { url: 'localhost 4318' })).toEqual(empty);
    expect(requests).toHaveLength(0);
    expect(warningsAbout('invalid options')).toHaveLength(1);
  });
});

describe('recall() against a receiver that answers', () => {
  it('passes the examples through, asking with the task, the filters, the budget and the token', async () => {
    answer = json(200, examplesAnswer);
    const result = await recall('  How do I refund order 98?  ', {
      url: `${serverUrl}/`,
      token: 'tenant-token',
      agent: 'support-agent',
      taskId: 'refunds',
      minReward: 0.5,
      limit: 2,
      maxTokens: 500,
    });

    expect(result).toEqual({
      prompt: examplesAnswer.prompt,
      // Only fields a chat-completions request accepts: finish_reason is an output field.
      messages: [
        { role: 'user', content: 'Refund order 1234' },
        { role: 'assistant', content: 'Called lookup_order, then refund. Answer: Refunded.' },
      ],
      trajectoryIds: ['trajectory-1'],
    });
    expect(requests).toHaveLength(1);
    const asked = new URL(requests[0]!.url!, serverUrl);
    expect(asked.pathname).toBe('/v1/context/examples');
    expect(Object.fromEntries(asked.searchParams)).toEqual({
      task: 'How do I refund order 98?',
      agent: 'support-agent',
      task_id: 'refunds',
      min_reward: '0.5',
      limit: '2',
      max_tokens: '500',
    });
    expect(requests[0]!.headers.authorization).toBe('Bearer tenant-token');
  });

  it('turns multi-part content into its text and keeps tool calls, so the messages fit a chat request', async () => {
    const toolCall = { id: 'call-1', type: 'function', function: { name: 'refund', arguments: '{"order":1234}' } };
    const messages = [
      {
        role: 'user',
        content: [{ type: 'text', text: 'Refund' }, { type: 'image_url' }, { type: 'text', text: '1234' }],
      },
      { role: 'assistant', content: null, tool_calls: [toolCall], reasoning: 'look it up first' },
      { role: 'tool', content: 'refunded', tool_call_id: 'call-1', is_error: false },
    ];
    answer = json(200, { ...examplesAnswer, messages });
    expect((await recall('refund an order', { url: serverUrl })).messages).toEqual([
      { role: 'user', content: 'Refund\n1234' },
      { role: 'assistant', content: null, tool_calls: [toolCall] },
      { role: 'tool', content: 'refunded', tool_call_id: 'call-1' },
    ]);
  });

  it('finds the receiver and the token through the OTLP exporter variables when no option names them', async () => {
    answer = json(200, examplesAnswer);
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', `${serverUrl}/v1/traces`);
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'x-other=1,Authorization=Bearer%20env-token');

    expect((await recall('refund an order')).trajectoryIds).toEqual(['trajectory-1']);
    expect(new URL(requests[0]!.url!, serverUrl).pathname).toBe('/v1/context/examples');
    expect(requests[0]!.headers.authorization).toBe('Bearer env-token');
    expect(requests[0]!.headers['x-other']).toBeUndefined();
  });

  it('sends at most the 2000 characters of a long task the receiver accepts', async () => {
    answer = json(200, examplesAnswer);
    const longTask = `refund ${'x'.repeat(5000)}`;
    expect((await recall(longTask, { url: serverUrl })).trajectoryIds).toEqual(['trajectory-1']);
    expect(new URL(requests[0]!.url!, serverUrl).searchParams.get('task')).toBe(longTask.slice(0, 2000));
  });
});

describe('recall() from the built package', () => {
  it.each([
    ['CommonJS', 'cjs', 'const { recall } = require(process.argv[1]);'],
    ['ESM', 'esm', 'const { recall } = await import(require("node:url").pathToFileURL(process.argv[1]).href);'],
  ])('works when loaded as %s', async (_label, build, load) => {
    ensureBuilt();
    answer = json(200, examplesAnswer);
    const script = `(async () => { ${load} console.log(JSON.stringify(await recall('refund', { url: process.argv[2] }))); })()`;
    const { stdout } = await promisify(execFile)(process.execPath, [
      '-e',
      script,
      join(packageDirectory, 'dist', build, 'index.js'),
      serverUrl,
    ]);
    expect((JSON.parse(stdout) as RecallResult).trajectoryIds).toEqual(['trajectory-1']);
  });
});

describe('recall() against the real receiver', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'instrumentation-recall-'));
    receiver = await startReceiver({ host: '127.0.0.1', httpPort: 0, grpcPort: 0, dataDir });
  });

  afterAll(async () => {
    await receiver?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function trajectoryIdOf(traceId: string): Promise<string> {
    // The summarizer lists a trajectory shortly after its spans are stored; the examples are read from the same data.
    for (let attempt = 0; attempt < 300; attempt++) {
      const response = await fetch(`${receiver.httpUrl}/v1/trajectories?trace_id=${traceId}`);
      const listed = ((await response.json()) as { trajectories?: Array<{ id: string; outcome: string }> })
        .trajectories;
      if (listed?.[0]?.outcome === 'success') return listed[0].id;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`trace ${traceId} was not listed as a success by GET /v1/trajectories within 30 s`);
  }

  it('recalls a successful instrumented run (trajectory, tool, reward) by a paraphrase of its task', async () => {
    const modelServer = await startModelServer();
    const instrumentation = register({
      serviceName: 'recall-agent',
      endpoint: receiver.httpUrl,
      modules: { openai: OpenAI },
      autoInstrument: false,
    });
    try {
      const openai = new OpenAI({ baseURL: modelServer.openaiBaseUrl, apiKey: 'local', maxRetries: 0 });
      const arithmetic = await runAgent(openai, {
        id: 'arithmetic',
        question: 'Use the calculator: what is 17 * 23?',
        expected: '391',
      });
      const capital = await runAgent(openai, {
        id: 'capital-france',
        question: 'Use the capital tool: what is the capital of France?',
        expected: 'Paris',
      });
      expect([arithmetic.reward, capital.reward]).toEqual([1, 1]);
      await instrumentation.forceFlush();
      const arithmeticId = await trajectoryIdOf(arithmetic.traceId);
      await trajectoryIdOf(capital.traceId);

      const recalled = await recall('With the calculator, work out 17 * 23', {
        url: receiver.httpUrl,
        agent: 'example-agent',
        limit: 1,
        timeoutMillis: 30_000,
      });

      expect(recalled.trajectoryIds).toEqual([arithmeticId]);
      expect(recalled.prompt).toContain('391');
      expect(recalled.messages.length).toBeGreaterThan(0);
      expect(recalled.messages[0]).toMatchObject({ role: 'user' });
      expect(JSON.stringify(recalled.messages)).toContain('calculator');
    } finally {
      await instrumentation.shutdown();
      await modelServer.close();
    }
  });
});
