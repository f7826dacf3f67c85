/**
 * The public pages and their assets: a fixed table from URL to file, so no request path ever
 * reaches the file system. Everything is served by the gateway itself (docs/design.md §10: no CDN),
 * from this folder and from the packages' own files under node_modules (packaged with the
 * public function, see serverless/functions.cjs).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config.ts';

export interface Asset {
  /** Path under the project root (the Lambda task root on AWS). */
  readonly file: string;
  readonly contentType: string;
}

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

export const PAGES: Readonly<Record<'docs' | 'playground', Asset>> = {
  docs: { file: 'src/lambda/pages/docs.html', contentType: HTML },
  playground: { file: 'src/lambda/pages/playground.html', contentType: HTML },
};

/** Makes the browser's language a tag Intl accepts (src/lambda/pages/locale.js); loaded first by both pages. */
const LOCALE_JS: Asset = { file: 'src/lambda/pages/locale.js', contentType: JS };

/** `/<page>/<name>` → file. */
export const ASSETS: Readonly<Record<'docs' | 'playground', Readonly<Record<string, Asset>>>> = {
  docs: {
    'locale.js': LOCALE_JS,
    'swagger-ui-bundle.js': { file: 'node_modules/swagger-ui-dist/swagger-ui-bundle.js', contentType: JS },
    'swagger-ui.css': { file: 'node_modules/swagger-ui-dist/swagger-ui.css', contentType: CSS },
    'docs.js': { file: 'src/lambda/pages/docs.js', contentType: JS },
    'docs.css': { file: 'src/lambda/pages/docs.css', contentType: CSS },
  },
  playground: {
    'locale.js': LOCALE_JS,
    'uPlot.iife.min.js': { file: 'node_modules/uplot/dist/uPlot.iife.min.js', contentType: JS },
    'uPlot.min.css': { file: 'node_modules/uplot/dist/uPlot.min.css', contentType: CSS },
    'playground.js': { file: 'src/lambda/pages/playground.js', contentType: JS },
    'playground.css': { file: 'src/lambda/pages/playground.css', contentType: CSS },
  },
};

/** Every file the public function serves, for packaging (serverless/functions.cjs). */
export const PUBLIC_FILES: readonly string[] = [
  ...new Set([...Object.values(PAGES), ...Object.values(ASSETS).flatMap((group) => Object.values(group))].map((a) => a.file)),
];

const cache = new Map<string, string>();

/** The file's text, read once per process (the files never change under a running function). */
export function assetText(asset: Asset): string {
  let text = cache.get(asset.file);
  if (text === undefined) {
    text = readFileSync(path.join(projectRoot(), asset.file), 'utf8');
    cache.set(asset.file, text);
  }
  return text;
}

/**
 * Content-Security-Policy of the pages: only this origin's scripts, styles and calls; no inline
 * script, no eval, no framing, no form posts; images only from here or `data:` (Swagger UI's icons).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
