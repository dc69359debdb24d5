/**
 * The dashboard on the receiver's own port: `GET /` answers the built single-page app (`dashboard/dist`, which
 * `npm install` builds with Vite) and `GET /assets/{file}` its bundles. The files are read once at start into
 * memory (a few hundred KB), so serving them touches no disk and no path from a request ever reaches the file
 * system: a request names a key of that map or gets a 404.
 *
 * Caching follows what the build guarantees: Vite puts a content hash in every asset's name, so assets are
 * `immutable` for a year, while `index.html` (which names the current hashes) is revalidated on every load
 * (`no-cache` with an ETag). The shell is public (it holds no data); every API call it makes carries the token the
 * user typed, and the API decides what that tenant sees. A Content-Security-Policy confines the page to its own
 * origin: no inline script, no third-party anything.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpError } from '../http/http-error.ts';
import type { RequestContext, Router } from '../http/router.ts';

/** Where `npm run build --workspace dashboard` writes the app. */
export const dashboardDistDirectory = fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  // React and uPlot set element styles through the CSSOM, which style-src governs only for attributes: allowing
  // inline styles costs nothing a script-injection attacker could use, since scripts stay same-origin only.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

export interface DashboardAssets {
  index: Asset | undefined;
  /** By file name under `assets/`. */
  assets: ReadonlyMap<string, Asset>;
}

function toAsset(path: string): Asset {
  const body = readFileSync(path);
  return {
    body,
    contentType: contentTypes[extname(path)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
  };
}

/** Reads the built app; an unbuilt checkout has no index, and `/` then says how to build it. */
export function loadDashboardAssets(directory = dashboardDistDirectory): DashboardAssets {
  const indexPath = join(directory, 'index.html');
  if (!existsSync(indexPath)) return { index: undefined, assets: new Map() };
  const assets = new Map<string, Asset>();
  const assetDirectory = join(directory, 'assets');
  if (existsSync(assetDirectory)) {
    for (const entry of readdirSync(assetDirectory, { withFileTypes: true })) {
      if (entry.isFile()) assets.set(entry.name, toAsset(join(assetDirectory, entry.name)));
    }
  }
  return { index: toAsset(indexPath), assets };
}

function send(context: RequestContext, asset: Asset, cacheControl: string): void {
  const { request, response } = context;
  const headers = {
    'Content-Type': asset.contentType,
    'Cache-Control': cacheControl,
    ETag: asset.etag,
    'Content-Security-Policy': contentSecurityPolicy,
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  };
  if (request.headers['if-none-match'] === asset.etag) {
    response.writeHead(304, headers);
    response.end();
    return;
  }
  response.writeHead(200, { ...headers, 'Content-Length': asset.body.byteLength });
  response.end(request.method === 'HEAD' ? undefined : asset.body);
}

export function addDashboardRoutes(router: Router, assets: DashboardAssets = loadDashboardAssets()): void {
  // Public: the page must load before it can ask for a token. The Host check (audience api) still applies, so a
  // rebound name cannot frame or script it.
  router.add(
    'GET',
    '/',
    (context) => {
      if (!assets.index) {
        throw new HttpError(
          503,
          'the dashboard is not built: run `npm install` (it builds it) or `npm run build --workspace dashboard`',
        );
      }
      send(context, assets.index, 'no-cache');
    },
    { public: true },
  );
  router.add(
    'GET',
    '/assets/:file',
    (context) => {
      const asset = assets.assets.get(context.params['file'] ?? '');
      if (!asset) throw new HttpError(404, `no dashboard asset ${JSON.stringify(context.params['file'] ?? '')}`);
      send(context, asset, 'public, max-age=31536000, immutable');
    },
    { public: true },
  );
}
