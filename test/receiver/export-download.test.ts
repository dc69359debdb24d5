/**
 * Downloads of training data from the real receiver: `GET /v1/exports/{format}` sends the file the library export
 * (`exportTrajectories`, what `trajectories export` runs) writes for the same filters and options, as JSONL, gzip
 * and Parquet, with the export's counts in headers; HEAD answers the same headers; a bad format, filter or option is
 * a 400 naming the field; a tenant downloads only its own trajectories; and no temporary directory outlives a
 * download, whether it was sent, refused or abandoned by its client.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addExportRoutes, exportDirectoryPrefix } from '../../collector/api/export-routes.ts';
import { parseInlineTenantTokens } from '../../collector/auth/tenant-tokens.ts';
import { Router } from '../../collector/http/router.ts';
import { createHttpServer } from '../../collector/http/server.ts';
import type { Receiver } from '../../collector/receiver.ts';
import { defaultFormatOptions, type FormatOptions } from '../../src/exporters/export-format.ts';
import { formatNames, getExportFormat } from '../../src/exporters/formats/index.ts';
import { exportTrajectories } from '../../src/exporters/run-export.ts';
import { storeTrajectorySource } from '../../src/exporters/trajectory-source.ts';
import { storeParquetConverter } from '../../src/exporters/writers/parquet-converter.ts';
import type { OutputEncoding } from '../../src/exporters/writers/record-writer.ts';
import type { TrajectoryFiltersInput } from '../../src/trajectories/filters.ts';
import { readParquetObjects } from '../exporters/export-files.ts';
import { startTestReceiver, temporaryDirectory } from '../helpers/test-receiver.ts';

// Downloads make their temporary directories under os.tmpdir(): a directory of this file's own (this process
// only; every test file runs in its own) lets the test count them without seeing other files' downloads.
const scratch = temporaryDirectory('export-download-');
const downloadTemp = join(scratch, 'tmp');
mkdirSync(downloadTemp);
process.env['TMPDIR'] = downloadTemp;
const leftoverDirectories = () => readdirSync(tmpdir()).filter((name) => name.startsWith(exportDirectoryPrefix));

/**
 * The download directories left once the receiver has finished with its requests: it removes a directory right
 * after the last byte is sent or the client is gone, which may be a moment after the client has its answer.
 */
async function directoriesLeftAfterwards(): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  while (leftoverDirectories().length > 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  return leftoverDirectories();
}

const tokenA = 'token-team-a-1234';
const tokenB = 'token-team-b-1234';
const settings = { quietSeconds: 1, stitchWindowSeconds: 1 };
let receiver: Receiver;

function conversation(id: string, agent: string, taskId: string, reward: number | undefined, answer: string) {
  return {
    id,
    agent,
    task_id: taskId,
    task: `question of ${taskId}`,
    model: 'gpt-4o',
    ...(reward === undefined ? {} : { reward }),
    messages: [
      { role: 'user', content: `question of ${taskId}` },
      { role: 'assistant', content: answer },
    ],
  };
}

const teamA = [
  conversation('a-booker-good', 'booker', 'book-table', 1, 'Booked a table for two at 7.'),
  conversation('a-booker-bad', 'booker', 'book-table', 0.2, 'I could not book anything.'),
  conversation('a-weather', 'weather', 'weather-paris', 0.8, 'It is 18 C and sunny in Paris.'),
  conversation('a-unrewarded', 'weather', 'weather-rome', undefined, 'Rome is cloudy.'),
];
const teamB = [conversation('b-rival', 'rival', 'secret-plan', 1, 'Team B only: the secret plan.')];

async function importTrajectories(token: string, trajectories: unknown[]): Promise<void> {
  const response = await fetch(`${receiver.httpUrl}/v1/trajectories`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ trajectories }),
  });
  expect(response.status, await response.clone().text()).toBe(202);
}

async function completeCount(token: string): Promise<number> {
  const response = await fetch(`${receiver.httpUrl}/v1/trajectories?complete=true`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return ((await response.json()) as { trajectories: unknown[] }).trajectories.length;
}

function download(path: string, token = tokenA, init: RequestInit = {}): Promise<Response> {
  return fetch(`${receiver.httpUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}` } });
}

/** Sends a GET and closes the connection as soon as the request is out, before any answer. */
function sendAndHangUp(path: string): Promise<void> {
  return new Promise((resolve) => {
    const request = httpGet(`${receiver.httpUrl}${path}`, { headers: { authorization: `Bearer ${tokenA}` } });
    request.on('error', () => resolve());
    request.on('finish', () => {
      request.destroy();
      resolve();
    });
  });
}

const linesOf = (text: string) =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, any>);

/** What the library export writes for team-a with these filters, options and encoding, read back as bytes. */
async function libraryExport(
  format: string,
  encoding: OutputEncoding,
  filters: TrajectoryFiltersInput = {},
  options: FormatOptions = defaultFormatOptions,
) {
  const out = join(scratch, `library-${format}-${Math.random().toString(36).slice(2)}.${encoding}`);
  const summary = await exportTrajectories({
    source: storeTrajectorySource(receiver.store.client, 'team-a', settings),
    format: getExportFormat(format),
    options,
    filters,
    out,
    encoding,
    parquetConverter: storeParquetConverter(receiver.store.client),
  });
  return { summary, bytes: readFileSync(out) };
}

beforeAll(async () => {
  receiver = await startTestReceiver({
    ...settings,
    dataDir: join(scratch, 'data'),
    authTokens: `${tokenA}=team-a,${tokenB}=team-b`,
  });
  await importTrajectories(tokenA, teamA);
  await importTrajectories(tokenB, teamB);
  await receiver.flush();
  // Imported trajectories are complete once they have been quiet for quietSeconds.
  const deadline = Date.now() + 30_000;
  while ((await completeCount(tokenA)) < teamA.length || (await completeCount(tokenB)) < teamB.length) {
    if (Date.now() > deadline) throw new Error('imported trajectories did not become complete');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('GET /v1/exports', () => {
  it('lists every registered format with the options that apply to it and the encodings', async () => {
    const response = await download('/v1/exports');
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.formats.map((format: any) => format.name)).toEqual(formatNames);
    const sft = body.formats.find((format: any) => format.name === 'openai-sft');
    expect(sft).toMatchObject({
      description: getExportFormat('openai-sft').description,
      grouping: 'trajectory',
      encodings: ['jsonl', 'jsonl.gz', 'parquet'],
    });
    expect(sft.options).toEqual(expect.arrayContaining(['reward', 'include_unrewarded', 'weight_threshold']));
    expect(sft.options).not.toContain('margin');
    expect(body.formats.find((format: any) => format.name === 'trl-kto').options).toContain('label_threshold');
    expect(body.encodings).toEqual(['jsonl', 'jsonl.gz', 'parquet']);
    expect(body.content_types).toEqual({
      jsonl: 'application/x-ndjson',
      'jsonl.gz': 'application/gzip',
      parquet: 'application/vnd.apache.parquet',
    });
    expect(body.options.find((option: any) => option.name === 'margin')).toMatchObject({
      default: defaultFormatOptions.preferenceMargin,
      formats: ['openai-dpo', 'trl-dpo'],
    });
    for (const option of body.options) for (const name of option.formats) expect(formatNames).toContain(name);
  });
});

describe('GET /v1/exports/{format}', () => {
  it('sends the JSONL the library export writes for the same filters, with the counts in headers', async () => {
    const response = await download('/v1/exports/openai-sft');
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    const expected = await libraryExport('openai-sft', 'jsonl');
    expect(body.toString('utf8')).toBe(expected.bytes.toString('utf8'));
    expect(expected.summary.records).toBe(3);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'content-type': 'application/x-ndjson',
      'content-length': String(expected.bytes.length),
      'x-export-records': '3',
      'x-export-trajectories': '3',
      // The unrewarded one: openai-sft needs a reward unless include_unrewarded is given.
      'x-export-skipped': '1',
    });
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="openai-sft-\d{8}T\d{6}\.jsonl"$/,
    );
  });

  it('narrows the records by the filters and shapes them by the format options, as the CLI does', async () => {
    const narrowed = await download('/v1/exports/openai-sft?agent=booker&min_reward=0.5');
    const records = linesOf(await narrowed.text());
    expect(records).toHaveLength(1);
    expect(JSON.stringify(records[0])).toContain('Booked a table for two at 7.');
    expect(narrowed.headers.get('x-export-records')).toBe('1');

    const all = await download('/v1/exports/openai-sft?include_unrewarded=true');
    expect(linesOf(await all.text())).toHaveLength(4);
    expect(all.headers.get('x-export-skipped')).toBe('0');

    const kto = await download('/v1/exports/trl-kto?agent=weather&label_threshold=0.9');
    const options = { ...defaultFormatOptions, labelThreshold: 0.9 };
    const expected = await libraryExport('trl-kto', 'jsonl', { agent: 'weather' }, options);
    const text = await kto.text();
    expect(text).toBe(expected.bytes.toString('utf8'));
    expect(linesOf(text).map((record) => record['label'])).toEqual([false]);
  });

  it('sends gzip JSONL that decodes to the same records', async () => {
    const response = await download('/v1/exports/openai-sft?encoding=jsonl.gz');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/gzip');
    expect(response.headers.get('content-disposition')).toMatch(/filename="openai-sft-\d{8}T\d{6}\.jsonl\.gz"$/);
    const body = Buffer.from(await response.arrayBuffer());
    expect(response.headers.get('content-length')).toBe(String(body.length));
    const expected = await libraryExport('openai-sft', 'jsonl');
    expect(gunzipSync(body).toString('utf8')).toBe(expected.bytes.toString('utf8'));
  });

  it("sends Parquet written by the receiver's own ClickHouse, with the rows of the library export", async () => {
    const response = await download('/v1/exports/trl-sft?encoding=parquet');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    expect(response.headers.get('content-disposition')).toMatch(/filename="trl-sft-\d{8}T\d{6}\.parquet"$/);
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.subarray(0, 4).toString('latin1')).toBe('PAR1');
    const downloaded = join(scratch, 'downloaded.parquet');
    writeFileSync(downloaded, body);
    const expected = await libraryExport('trl-sft', 'parquet');
    const libraryFile = join(scratch, 'library.parquet');
    writeFileSync(libraryFile, expected.bytes);
    const rows = await readParquetObjects(downloaded);
    expect(rows).toHaveLength(3);
    expect(rows).toEqual(await readParquetObjects(libraryFile));
    expect(response.headers.get('x-export-records')).toBe('3');
  });

  it('answers HEAD with the headers of the download and no body', async () => {
    const head = await download('/v1/exports/openai-sft?agent=weather', tokenA, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const get = await download('/v1/exports/openai-sft?agent=weather');
    const body = await get.text();
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
    expect(head.headers.get('x-export-records')).toBe('1');
    expect(head.headers.get('content-type')).toBe('application/x-ndjson');
  });

  it('answers 400 naming the field for an unknown format or a bad parameter', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/v1/exports/nope', /^format: unknown export format "nope" \(one of: art, /],
      ['/v1/exports/openai-sft?min_reward=lots', /^min_reward:/],
      ['/v1/exports/openai-sft?since=yesterday', /^since: "yesterday" is not an RFC 3339 time/],
      ['/v1/exports/openai-sft?outcome=great', /^outcome:/],
      ['/v1/exports/openai-sft?encoding=zip', /^encoding:/],
      ['/v1/exports/openai-sft?reward=best', /^reward:/],
      ['/v1/exports/openai-sft?margin=', /^margin: not a number/],
      ['/v1/exports/openai-sft?include_unrewarded=yes', /^include_unrewarded:/],
      ['/v1/exports/openai-rft?reference=messages=task', /^reference: .*would replace the record's messages/],
      ['/v1/exports/openai-sft?limit=0', /^limit:/],
      ['/v1/exports/openai-sft?limit=50001', /^limit:/],
      ['/v1/exports/openai-sft?all=true&complete=true', /^all: .*cannot be combined with complete/],
      ['/v1/exports/openai-sft?agent=a&agent=b', /^agent: given more than once/],
      ['/v1/exports/openai-sft?colour=red', /unknown parameter "colour"/],
    ];
    for (const [path, message] of cases) {
      const response = await download(path);
      expect(response.status, path).toBe(400);
      expect(((await response.json()) as { error: string }).error, path).toMatch(message);
    }
  });

  it("exports the caller's tenant only", async () => {
    const teamBRecords = linesOf(await (await download('/v1/exports/openai-sft', tokenB)).text());
    expect(teamBRecords).toHaveLength(1);
    expect(JSON.stringify(teamBRecords)).toContain('Team B only');
    expect(JSON.stringify(teamBRecords)).not.toContain('Booked a table');
    const teamARecords = await (await download('/v1/exports/openai-sft?include_unrewarded=true')).text();
    expect(teamARecords).not.toContain('Team B only');
    expect((await fetch(`${receiver.httpUrl}/v1/exports/openai-sft`)).status).toBe(401);
  });

  it('leaves no temporary directory behind, also when the client goes away', async () => {
    // Gone before the answer (while exporting) and right after the headers (while the file streams).
    await sendAndHangUp('/v1/exports/art?all=true');
    const late = new AbortController();
    const response = await download('/v1/exports/openai-sft?include_unrewarded=true', tokenA, {
      signal: late.signal,
    });
    expect(response.status).toBe(200);
    late.abort();
    expect(await directoriesLeftAfterwards()).toEqual([]);
    // The slots the abandoned downloads took are free again.
    const after = await download('/v1/exports/openai-sft');
    expect(after.status).toBe(200);
    expect(linesOf(await after.text())).toHaveLength(3);
    expect(await directoriesLeftAfterwards()).toEqual([]);
  });
});

describe('export routes on a receiver without a Parquet converter and with a small maximum', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const router = new Router();
    addExportRoutes(router, receiver.store.client, { ...settings, maxTrajectories: 2 });
    server = createHttpServer({ router, tokens: parseInlineTenantTokens(`${tokenA}=team-a`) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  const get = (path: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${tokenA}` } });

  it('answers 400 for Parquet and leaves it out of the listing', async () => {
    const response = await get('/v1/exports/openai-sft?encoding=parquet');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/^encoding: parquet is not available/);
    const listing = (await (await get('/v1/exports')).json()) as any;
    expect(listing.encodings).toEqual(['jsonl', 'jsonl.gz']);
    expect(listing.max_trajectories).toBe(2);
  });

  it('refuses a selection larger than the maximum with 422 unless a limit says how many to take', async () => {
    const refused = await get('/v1/exports/openai-sft');
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: string }).error).toMatch(/^more than 2 trajectories match/);
    const limited = await get('/v1/exports/openai-sft?limit=2&include_unrewarded=true');
    expect(limited.status).toBe(200);
    expect(limited.headers.get('x-export-trajectories')).toBe('2');
    expect(linesOf(await limited.text())).toHaveLength(2);
    expect(await directoriesLeftAfterwards()).toEqual([]);
  });
});
