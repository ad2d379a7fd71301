import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The console's pages may load only the gateway's own scripts, styles and data: no inline script,
 * no inline style element, no other origin, never inside a frame.
 */
const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const CONSOLE_PAGE_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/**
 * Where `npm run build` puts the front-end (Vite: `dist/console`): beside the compiled server
 * (dist/modules/console → dist/console), or under the working directory when run from sources.
 */
export function consoleBuildDir(): string {
  const besideServer = fileURLToPath(new URL('../../console/', import.meta.url));
  return existsSync(path.join(besideServer, 'index.html'))
    ? besideServer
    : path.resolve('dist', 'console');
}

let shell: string | null | undefined;
/** The single-page application's HTML, read once; null when the front-end was not built. */
export function consoleShell(): string | null {
  if (shell === undefined) {
    const file = path.join(consoleBuildDir(), 'index.html');
    shell = existsSync(file) ? readFileSync(file, 'utf8') : null;
  }
  return shell;
}

export const FORBIDDEN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Not allowed — Console</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>403 — Not allowed</h1><p>Your role does not allow this page.</p><p><a href="/console/">Back to the console</a></p></main></body></html>
`;
