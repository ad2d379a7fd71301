import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Headless Chromium; with `proxy`, every request goes through it ("mobile data"), localhost
 * included (Chromium bypasses proxies for loopback unless told `<-loopback>`).
 */
export function launchChromium(proxy?: string): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
  const args = proxy
    ? [...CHROMIUM_ARGS, `--proxy-server=${proxy}`, '--proxy-bypass-list=<-loopback>']
    : CHROMIUM_ARGS;
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/** Everything a browser context sent and received, to search for secrets that must never be there. */
export class Traffic {
  private readonly seen: string[] = [];
  private readonly pending: Promise<void>[] = [];

  constructor(context: BrowserContext) {
    context.on('request', (request) => {
      this.seen.push(
        `${request.method()} ${request.url()}\n${JSON.stringify(request.headers())}\n${request.postData() ?? ''}`,
      );
    });
    context.on('response', (response) => {
      this.pending.push(
        response
          .text()
          .then(
            (body) =>
              void this.seen.push(
                `${response.status()} ${response.url()}\n${JSON.stringify(response.headers())}\n${body}`,
              ),
          )
          // Bodies of redirects and aborted requests cannot be read; their headers were recorded.
          .catch(
            () =>
              void this.seen.push(
                `${response.status()} ${response.url()}\n${JSON.stringify(response.headers())}`,
              ),
          ),
      );
    });
  }

  async text(): Promise<string> {
    await Promise.all(this.pending);
    return this.seen.join('\n');
  }

  urls(): string[] {
    return this.seen.map((entry) => entry.split('\n', 1)[0]);
  }
}

/** A new context whose pages record unhandled promise rejections in `window.__unhandled`. */
export async function newContext(
  browser: Browser,
  options: { bypassCSP?: boolean } = {},
): Promise<{ context: BrowserContext; traffic: Traffic }> {
  const context = await browser.newContext(options);
  await context.addInitScript(
    "window.__unhandled = []; window.addEventListener('unhandledrejection', (event) => window.__unhandled.push(String(event.reason)));",
  );
  return { context, traffic: new Traffic(context) };
}

export function unhandledRejections(page: Page): Promise<string[]> {
  return page.evaluate<string[]>('window.__unhandled');
}

export interface SdkOutcome {
  ok: boolean;
  value?: Record<string, string>;
  name?: string;
  code?: string;
  gatewayCode?: string;
  status?: number;
  retryable?: boolean;
}

/**
 * Runs one Web SDK call in the page, with the page's own origin, and reports how it ended.
 * `call` is a JavaScript expression over `AuthmatechWebSDK` and `initAuthmatechCheck`.
 */
export function runSdk(page: Page, call: string): Promise<SdkOutcome> {
  return page.evaluate<SdkOutcome>(`(async () => {
    const { AuthmatechWebSDK, initAuthmatechCheck } = await import('/sdk.mjs');
    try {
      return { ok: true, value: await (${call}) };
    } catch (error) {
      return { ok: false, name: error.name, code: error.code, gatewayCode: error.gatewayCode, status: error.status, retryable: error.retryable };
    }
  })()`);
}

/** `new AuthmatechWebSDK(options).method(argument)` as an expression for `runSdk`. */
export function sdkCall(
  options: Record<string, unknown>,
  method: 'startHeaderEnrichment' | 'initAuthmatechCheck',
  argument: Record<string, unknown>,
): string {
  return `new AuthmatechWebSDK(${JSON.stringify(options)}).${method}(${JSON.stringify(argument)})`;
}

/** Another site: a page that loads the Web SDK from its own origin, as any site could. */
export async function startForeignSite(
  sdkFile: string,
): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    if (request.url === '/sdk.mjs') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(sdkFile));
      return;
    }
    response
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><title>Another site</title><p>Another site</p>');
  });
  return listen(server);
}

/** A server that accepts connections and never answers: an operator network that went silent. */
export function startSilentServer(): Promise<{ origin: string; close(): Promise<void> }> {
  return listen(createServer(() => undefined));
}

async function listen(server: Server): Promise<{ origin: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
