/**
 * How the receiver serves the dashboard's files, without a browser or a store: from memory, with the content type
 * of each file, nothing outside the built assets reachable by any path, a clear answer when the app is not built,
 * and the page public while the API behind it still wants a token.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInlineTenantTokens } from '../../collector/auth/tenant-tokens.ts';
import { addDashboardRoutes, loadDashboardAssets } from '../../collector/dashboard/dashboard-routes.ts';
import { Router } from '../../collector/http/router.ts';
import { createHttpServer } from '../../collector/http/server.ts';

const servers: Server[] = [];

async function serve(directory: string): Promise<string> {
  const router = new Router();
  addDashboardRoutes(router, loadDashboardAssets(directory));
  router.add('GET', '/v1/trajectories', ({ response }) => void response.end('{}'));
  const server = createHttpServer({ router, tokens: parseInlineTenantTokens('secret-token=team-a') });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let built: string;
let unbuilt: string;

beforeAll(async () => {
  const directory = mkdtempSync(join(tmpdir(), 'dashboard-dist-'));
  mkdirSync(join(directory, 'assets'));
  writeFileSync(
    join(directory, 'index.html'),
    '<!doctype html><script type="module" src="/assets/app-1a2b.js"></script>',
  );
  writeFileSync(join(directory, 'assets', 'app-1a2b.js'), 'console.log(1)');
  writeFileSync(join(directory, 'assets', 'app-1a2b.css'), 'body{}');
  writeFileSync(join(directory, 'secret.txt'), 'not an asset');
  built = await serve(directory);
  unbuilt = await serve(join(directory, 'missing'));
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('the dashboard routes', () => {
  it('serve the page and its assets without a token, with their types and caching', async () => {
    const page = await fetch(`${built}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const css = await fetch(`${built}/assets/app-1a2b.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await css.text()).toBe('body{}');
    // The API behind the page still wants the token.
    expect((await fetch(`${built}/v1/trajectories`)).status).toBe(401);
  });

  it('revalidate by ETag and answer HEAD without a body', async () => {
    const first = await fetch(`${built}/`);
    const again = await fetch(`${built}/`, { headers: { 'If-None-Match': first.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
    const head = await fetch(`${built}/assets/app-1a2b.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('14');
    expect(await head.text()).toBe('');
  });

  it('reach nothing but the built assets, whatever the path', async () => {
    for (const path of [
      '/assets/..%2Fsecret.txt',
      '/assets/%2E%2E%2Findex.html',
      '/secret.txt',
      '/assets/',
      '/index.html',
    ])
      expect((await fetch(`${built}${path}`, { headers: { Authorization: 'Bearer secret-token' } })).status, path).toBe(
        404,
      );
  });

  it('say how to build the app when it is not built', async () => {
    const response = await fetch(`${unbuilt}/`);
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: string }).error).toContain('npm run build --workspace dashboard');
  });
});
