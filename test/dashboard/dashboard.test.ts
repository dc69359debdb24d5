/**
 * The dashboard as a person uses it: Debian's Chromium (driven by playwright-core) against a real receiver with
 * auth on, holding demo data sent with the real OpenTelemetry SDK and OTLP exporter. One receiver, one browser and
 * one tab for the whole file (libchdb holds one store per process; the token typed at the prompt lives in the tab).
 * The tests run in order, as a session would: sign in, look at the overview, the list, one trajectory, feedback,
 * compare, export. Screenshots of every page go to test-artifacts/dashboard/ (not committed), and the timings of
 * the list and the 2,000-span timeline are printed for the closing note.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { dashboardDistDirectory } from '../../collector/dashboard/dashboard-routes.ts';
import {
  createTraceExporter,
  exportSpans,
  exportSucceeded,
  produceAgentRun,
  recordSpans,
} from '../helpers/export-spans.ts';
import { startTestReceiver } from '../helpers/test-receiver.ts';
import { recordDemoRuns, recordLongRun, type DemoRun } from './demo-trajectories.ts';

const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const artifacts = join(import.meta.dirname, '..', '..', 'test-artifacts', 'dashboard');
const tokenA = 'dashboard-token-team-a';
const tokenB = 'dashboard-token-team-b';

let receiver: Receiver;
let browser: Browser;
let page: Page;
let base: string;
let runs: DemoRun[];
let longRunId: string;
const consoleProblems: string[] = [];
const timings: Record<string, number> = {};

async function send(spans: Parameters<typeof exportSpans>[1], token: string): Promise<void> {
  const exporter = createTraceExporter('http/protobuf', {
    httpUrl: base,
    grpcAddress: '',
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
}

async function listed(token: string): Promise<Array<{ id: string; complete: boolean }>> {
  const response = await fetch(`${base}/v1/trajectories?limit=1000`, { headers: { Authorization: `Bearer ${token}` } });
  return ((await response.json()) as { trajectories: Array<{ id: string; complete: boolean }> }).trajectories;
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

// Run in the page, where the DOM is (this file compiles without DOM types): form controls without an accessible
// name (a label, aria-label, aria-labelledby, or a button's text), and whether the page fits the viewport's width.
const unlabeledControlsScript = `[...document.querySelectorAll('input, select, textarea, button')]
  .filter((element) => !((element.labels?.length ?? 0) > 0 || element.getAttribute('aria-label') ||
    element.getAttribute('aria-labelledby') || (element.tagName === 'BUTTON' && element.textContent.trim() !== '')))
  .map((element) => element.outerHTML.slice(0, 120))`;
const fitsWidthScript = 'document.documentElement.scrollWidth <= window.innerWidth';

function unlabeledControls(): Promise<string[]> {
  return page.evaluate<string[]>(unlabeledControlsScript);
}

function fitsWidth(): Promise<boolean> {
  return page.evaluate<boolean>(fitsWidthScript);
}

function tableRows() {
  return page.locator('table.trajectory-table tbody tr');
}

beforeAll(async () => {
  if (!existsSync(join(dashboardDistDirectory, 'index.html')))
    throw new Error(
      'the dashboard is not built: run `npm install` (it builds it) or `npm run build --workspace dashboard`',
    );
  if (!existsSync(chromiumPath))
    throw new Error(
      `no Chromium at ${chromiumPath}: install it (\`apt-get install -y chromium\`) or set CHROMIUM_PATH`,
    );
  mkdirSync(artifacts, { recursive: true });
  receiver = await startTestReceiver({ authTokens: `${tokenA}=team-a,${tokenB}=team-b`, quietSeconds: 1 });
  base = `http://127.0.0.1:${receiver.httpPort}`;
  const now = Date.now();
  const demo = await recordDemoRuns(now - 3 * 3600_000);
  runs = demo.runs;
  const long = await recordLongRun(now - 4 * 3600_000);
  longRunId = long.trajectoryId;
  await send(demo.spans, tokenA);
  await send(long.spans, tokenA);
  await send(await recordSpans((tracer) => produceAgentRun(tracer, 'other team')), tokenB);
  // Every trajectory summarized and complete before the browser looks.
  const expected = runs.length + 1 + 1; // the runs, the long run, and the one sub-agent trajectory
  const deadline = Date.now() + 60_000;
  for (;;) {
    const trajectories = await listed(tokenA);
    if (trajectories.length >= expected && trajectories.every((trajectory) => trajectory.complete)) break;
    if (Date.now() > deadline)
      throw new Error(`only ${trajectories.length} of ${expected} trajectories listed in time`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      consoleProblems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleProblems.push(`pageerror: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) consoleProblems.push(`response ${response.status()}: ${response.url()}`);
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  console.log(`dashboard timings (ms): ${JSON.stringify(timings)}`);
});

describe('the dashboard in Chromium', () => {
  it('serves the app with its content types, caching and security headers', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await index.text();
    const script = /src="\/assets\/([^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${base}/assets/${script}`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const etag = asset.headers.get('etag') ?? '';
    expect((await fetch(`${base}/assets/${script}`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    expect((await fetch(`${base}/assets/nope.js`)).status).toBe(404);
    // The bundle is whole: no request leaves the origin.
    expect(readFileSync(join(dashboardDistDirectory, 'assets', script as string), 'utf8')).not.toMatch(
      /https:\/\/(cdn|unpkg)/,
    );
  });

  it('asks for a token, refuses a wrong one and opens with the right one', async () => {
    await page.goto(`${base}/`);
    const tokenInput = page.getByLabel('Token');
    await tokenInput.waitFor();
    await screenshot('token-prompt');
    await tokenInput.fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('invalid bearer token');
    await tokenInput.fill(tokenA);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    // Chromium logs every refused request: the two 401s of this test (no token, the wrong one) are the point of it.
    expect(consoleProblems).toEqual(Array(4).fill(expect.stringContaining('401')));
    consoleProblems.length = 0;
  });

  it('shows the overview of this tenant only', async () => {
    await page.locator('.stat').first().waitFor();
    const trajectories = page.locator('.stat', { hasText: 'Trajectories' }).locator('dd');
    // team-a: 54 runs, the sub-agent, the long run; team-b's run is not counted.
    await expect.poll(() => trajectories.textContent()).toBe(String(runs.length + 2));
    await page.locator('.histogram li').first().waitFor();
    await page.locator('canvas').first().waitFor();
    const agents = await page
      .locator('section[aria-labelledby="agents-heading"] tbody tr td:first-child')
      .allTextContents();
    expect(agents.sort()).toEqual(['long-runner', 'planner', 'researcher', 'summarizer']);
    await expect.poll(() => page.locator('section[aria-labelledby="tools-heading"] tbody tr').count()).toBe(1);
    expect(await page.locator('section[aria-labelledby="tools-heading"] tbody td').first().textContent()).toBe(
      'lookup',
    );
    await screenshot('overview');
  });

  it('lists 50 trajectories, pages with the cursor, and filters by agent', async () => {
    const started = performance.now();
    await page.goto(`${base}/#/trajectories`);
    await expect.poll(() => tableRows().count()).toBe(50);
    timings['list_50_rows'] = Math.round(performance.now() - started);
    await screenshot('trajectories');
    await page.getByRole('button', { name: /Load 50 more/ }).click();
    await expect.poll(() => tableRows().count()).toBe(runs.length + 2);
    expect(await page.getByText('team', { exact: false }).count()).toBe(0);

    await page.getByLabel('Agent').fill('researcher');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const researchers = runs.filter((run) => run.agent === 'researcher').length;
    await expect.poll(() => tableRows().count()).toBe(researchers);
    const agents = await page.locator('table.trajectory-table tbody tr td:nth-child(2)').allTextContents();
    expect(new Set(agents)).toEqual(new Set(['researcher']));
    expect(page.url()).toContain('agent=researcher');
    expect(await unlabeledControls()).toEqual([]);
    expect(await fitsWidth()).toBe(true);
    await screenshot('trajectories-filtered');
  });

  it('sorts by a column through the API, both ways, paging in that order', async () => {
    await page.goto(`${base}/#/trajectories`);
    await expect.poll(() => tableRows().count()).toBe(50);
    const rewardHeader = page.getByRole('columnheader', { name: /Reward/ });
    const rewards = () => page.locator('table.trajectory-table tbody tr td:nth-child(5)').allTextContents();
    await rewardHeader.getByRole('button').click();
    await expect.poll(() => rewardHeader.getAttribute('aria-sort')).toBe('descending');
    await expect.poll(async () => (await rewards())[0]).toBe('1');
    await rewardHeader.getByRole('button').click();
    await expect.poll(() => rewardHeader.getAttribute('aria-sort')).toBe('ascending');
    await expect.poll(async () => (await rewards())[0]).toBe('0');
    await page.getByRole('button', { name: /Load 50 more/ }).click();
    await expect.poll(() => tableRows().count()).toBe(runs.length + 2);
    const all = (await rewards()).map((text) => (text === '–' ? Number.POSITIVE_INFINITY : Number(text)));
    // Ascending across both pages, the trajectories without a reward last.
    expect(all).toEqual([...all].sort((a, b) => a - b));
    expect(all.at(-1)).toBe(Number.POSITIVE_INFINITY);
    expect(page.url()).toContain('sort=final_reward');
  });

  it('shows a new trajectory on top without a reload', async () => {
    await page.goto(`${base}/#/trajectories`);
    await expect.poll(() => tableRows().count()).toBe(50);
    const spans = await recordSpans((tracer) => produceAgentRun(tracer, 'fresh arrival'));
    await send(spans, tokenA);
    const fresh = page.locator('table.trajectory-table tbody tr.fresh');
    await expect.poll(() => fresh.count(), { timeout: 20_000 }).toBe(1);
    expect(await tableRows().first().getAttribute('class')).toBe('fresh');
    expect(await page.locator('.list-footer [role="status"]').textContent()).toBe('51 shown, 1 new');
  });

  it('searches the conversations', async () => {
    await page.goto(`${base}/#/trajectories`);
    await page.getByRole('searchbox', { name: 'Search' }).fill('weather in Kyoto');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => tableRows().count()).toBeGreaterThan(0);
    const tasks = await page.locator('table.trajectory-table tbody tr td:nth-child(3)').allTextContents();
    expect(tasks[0]).toContain('Kyoto');
  });

  it('shows a trajectory: every span on the timeline, the tool result, the conversation and its rewards', async () => {
    const run = runs.find((candidate) => candidate.subAgent) as DemoRun;
    await page.goto(`${base}/#/trajectories/${encodeURIComponent(run.trajectoryId)}`);
    const scroller = page.locator('.timeline-scroller');
    await expect.poll(() => scroller.getAttribute('data-span-count')).toBe(String(run.spanCount));
    expect(await page.locator('.timeline-row.sub-agent').count()).toBe(2);
    await page.getByRole('button', { name: new RegExp(`^tool ${run.toolName}`) }).click();
    await expect.poll(() => page.locator('.span-details .tool-result-text').textContent()).toBe(run.toolResult);
    // The keyboard moves the selection along the timeline.
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.locator('.span-details h3').textContent()).not.toBe(`tool ${run.toolName}`);
    await expect.poll(() => page.locator('.conversation .tool-result pre').first().textContent()).toBe(run.toolResult);
    expect(await page.getByTestId('final-reward').textContent()).toBe(String(run.reward));
    expect(await unlabeledControls()).toEqual([]);
    expect(await fitsWidth()).toBe(true);
    await screenshot('trajectory');
  });

  it('renders a 2,000-span timeline', async () => {
    const started = performance.now();
    await page.goto(`${base}/#/trajectories/${encodeURIComponent(longRunId)}`);
    await expect
      .poll(() => page.locator('.timeline-scroller').getAttribute('data-span-count'), { timeout: 30_000 })
      .toBe('2000');
    await page.locator('.timeline-row').first().waitFor();
    timings['timeline_2000_spans'] = Math.round(performance.now() - started);
    // Only the rows in view are in the DOM.
    expect(await page.locator('.timeline-row').count()).toBeLessThan(100);
    await page.locator('.timeline-scroller').evaluate((element) => element.scrollTo(0, element.scrollHeight));
    await expect.poll(() => page.locator('.timeline-row').last().textContent()).toContain('chat');
    // The page below the timeline is long: the visible part is the picture.
    await page.screenshot({ path: join(artifacts, 'trajectory-long.png') });
  });

  it('posts feedback and shows the new final reward', async () => {
    const run = runs.find((candidate) => candidate.reward === 0) as DemoRun;
    await page.goto(`${base}/#/trajectories/${encodeURIComponent(run.trajectoryId)}`);
    await expect.poll(() => page.getByTestId('final-reward').textContent()).toBe('0');
    await page.getByLabel('Score').fill('0.25');
    await page.getByLabel('Comment').fill('partly right');
    await page.getByRole('button', { name: 'Post feedback' }).click();
    await expect.poll(() => page.getByTestId('final-reward').textContent()).toBe('0.25');
    await expect.poll(() => page.locator('.rewards tbody tr', { hasText: 'partly right' }).count()).toBe(1);
    await screenshot('trajectory-feedback');
  });

  it('compares the attempts at a task and marks where they diverged', async () => {
    // A task whose attempts got no feedback in the test above.
    const feedbackTask = runs.find((candidate) => candidate.reward === 0)?.taskId;
    const task = runs.find((candidate) => candidate.taskId !== feedbackTask)?.taskId as string;
    await page.goto(`${base}/#/compare?task=${encodeURIComponent(task)}`);
    await expect.poll(() => page.locator('table.compare thead th').count()).toBe(4);
    expect(await page.locator('tr.diverged th').textContent()).toContain('Turn 1');
    const rewards = await page.locator('table.compare tbody tr').first().locator('td').allTextContents();
    expect(rewards.sort()).toEqual(['0', '0.5', '1']);
    expect(await unlabeledControls()).toEqual([]);
    await screenshot('compare');
  });

  it('downloads an export through the exporters', async () => {
    await page.goto(`${base}/#/export`);
    await page.getByLabel('Format').selectOption('openai-sft');
    await page.getByLabel('Min reward').fill('1');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^openai-sft-\d{8}T\d{6}\.jsonl$/);
    const downloaded = readFileSync(await download.path(), 'utf8');
    const direct = await fetch(`${base}/v1/exports/openai-sft?min_reward=1`, {
      headers: { Authorization: `Bearer ${tokenA}` },
    });
    expect(downloaded).toBe(await direct.text());
    const records = downloaded.trimEnd().split('\n');
    expect(records.length).toBe(Number(direct.headers.get('X-Export-Records')));
    expect(records.length).toBeGreaterThan(0);
    await expect.poll(() => page.getByRole('status').last().textContent()).toContain(`${records.length} records`);
    expect(await unlabeledControls()).toEqual([]);
    await screenshot('export');
  });

  it('logs no errors in the console', () => {
    expect(consoleProblems).toEqual([]);
  });
});
