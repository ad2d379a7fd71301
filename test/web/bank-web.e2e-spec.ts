import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Browser, Page } from 'playwright-core';
import { createApp } from '../../src/app.factory.js';
import { DatabaseConnection } from '../../src/common/database/database-connection.js';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import {
  startNetworkSimulator,
  type NetworkSimulator,
} from '../../src/modules/operators/network-simulator.js';
import {
  apiKeyHeaders,
  createTestAdminKey,
  createTestClient,
} from '../support/credentials-factory.js';
import { startListeningProcess, type GatewayProcess } from '../support/gateway-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import {
  launchChromium,
  newContext,
  runSdk,
  sdkCall,
  startForeignSite,
  startSilentServer,
  unhandledRejections,
  type Traffic,
} from './browser-kit.js';

const NUMBER = '+962791234567';
const SDK_FILE = 'sdk/web/dist/index.js';

interface AuditItem {
  id: string;
  action: string;
  correlationId: string | null;
  clientId: string | null;
  actorType: string;
  httpStatus: number;
  errorCode: string | null;
  sourceIp: string | null;
  phoneMasked: string | null;
  verdict: Record<string, unknown> | null;
  detail: Record<string, unknown> | null;
}

/**
 * The whole web flow in a real browser: the sample bank app (examples/bank-web) in Chromium,
 * through the operator network simulator for "mobile data", against the gateway on PostgreSQL.
 */
describe('silent verification from a real browser (sample bank app, Web SDK, operator network simulator)', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let gatewayUrl: string;
  let auditorKey: string;
  let adminKey: string;
  let bank: CreatedClient;
  let otherBank: CreatedClient;
  let bankApp: GatewayProcess;
  let bankUrl: string;
  let network: NetworkSimulator;
  let mobile: Browser;
  let wifi: Browser;
  let foreign: { origin: string; close(): Promise<void> };
  let folder: string;
  const secrets: string[] = [];

  async function gatewayCall(
    method: string,
    url: string,
    headers: Record<string, string>,
    body?: object,
  ): Promise<{ status: number; json: ReturnType<typeof JSON.parse> }> {
    const response = await fetch(`${gatewayUrl}${url}`, {
      method,
      headers: { ...headers, ...(body && { 'content-type': 'application/json' }) },
      body: body && JSON.stringify(body),
    });
    return { status: response.status, json: await response.json().catch(() => null) };
  }

  const asAdmin = (method: string, url: string, body?: object) =>
    gatewayCall(method, url, { authorization: `Bearer ${adminKey}` }, body);

  /** The admin audit API, as an auditor reads it. */
  async function audit(query: Record<string, string>): Promise<AuditItem[]> {
    const reply = await gatewayCall(
      'GET',
      `/admin/v1/audit/events?${new URLSearchParams({ limit: '500', ...query }).toString()}`,
      { authorization: `Bearer ${auditorKey}` },
    );
    expect(reply.status).toBe(200);
    return reply.json.items as AuditItem[];
  }

  async function sdkToken(client: CreatedClient): Promise<string> {
    const reply = await gatewayCall('POST', '/v1/api/sdk/token', apiKeyHeaders(client));
    return reply.json.data.sdkToken as string;
  }

  const verify = (client: CreatedClient, body: Record<string, unknown>) =>
    gatewayCall('POST', '/v1/api/verify', apiKeyHeaders(client), {
      mobileNumber: NUMBER,
      operatorId: 'ZAIN_JO',
      serviceType: 'LOGIN',
      ...body,
    });

  /** Clicks a button of the sample page and waits until the page shows an outcome. */
  async function verifyOnPage(
    page: Page,
    button: '#verify' | '#verify-web',
  ): Promise<{ state: string; text: string; simSwap: string }> {
    await page.goto(bankUrl);
    await page.fill('#mobile', NUMBER);
    await page.click(button);
    const result = page.locator('#result:not([data-state="idle"]):not([data-state="working"])');
    await result.waitFor({ timeout: 60_000 });
    return {
      state: (await result.getAttribute('data-state')) ?? '',
      text: (await result.textContent()) ?? '',
      simSwap: (await page.locator('#sim-swap').textContent()) ?? '',
    };
  }

  async function expectNoSecretIn(traffic: Traffic, page: Page): Promise<void> {
    const seen = `${await traffic.text()}\n${await page.content()}\n${String(await page.evaluate('JSON.stringify(localStorage)'))}`;
    for (const secret of secrets) expect(seen.includes(secret)).toBe(false);
    expect(seen).not.toMatch(/mig_(live|test|secret)_/);
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createApp(database.overrides);
    database.attach?.(app.get(DatabaseConnection));
    await app.listen({ port: 0, host: '127.0.0.1' });
    gatewayUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    adminKey = (await createTestAdminKey(app, 'admin')).key;
    auditorKey = (await createTestAdminKey(app, 'auditor')).key;
    bank = await createTestClient(app, { name: 'Demo Bank', environment: 'SANDBOX' });
    otherBank = await createTestClient(app, { name: 'Other bank', environment: 'SANDBOX' });
    for (const client of [bank, otherBank])
      secrets.push(client.apiKey, client.clientSecret, client.jwtSecret);

    // The sample backend reads its credentials as it would read npm start's .data/sandbox-credentials.json.
    folder = await mkdtemp(path.join(tmpdir(), 'mig-bank-web-'));
    const credentialsFile = path.join(folder, 'sandbox-credentials.json');
    await writeFile(credentialsFile, JSON.stringify(bank), { mode: 0o600 });
    bankApp = await startListeningProcess('examples/bank-web/server.mjs', {
      GATEWAY_URL: gatewayUrl,
      BANK_CREDENTIALS_FILE: credentialsFile,
    });
    bankUrl = bankApp.url;
    foreign = await startForeignSite(SDK_FILE);

    // What an operator integration needs, through the admin API: the operator's proxy range,
    // and the origins of the bank's pages.
    expect(
      (await asAdmin('PATCH', '/admin/v1/operators/ZAIN_JO', { trustedRanges: ['127.0.0.2/32'] }))
        .status,
    ).toBe(200);
    expect(
      (await asAdmin('PATCH', `/admin/v1/clients/${bank.clientId}`, { allowedOrigins: [bankUrl] }))
        .status,
    ).toBe(200);
    // The sandbox SIM-swap table knows this number: swapped 3 days ago.
    const swappedAt = new Date(Date.now() - 3 * 86_400_000).toISOString();
    expect(
      (
        await asAdmin('PUT', `/admin/v1/sandbox/sim-swap/${NUMBER}`, {
          latestSimChange: swappedAt,
          latestDeviceChange: null,
        })
      ).status,
    ).toBe(200);

    network = await startNetworkSimulator({
      msisdn: NUMBER,
      enrichHosts: [new URL(gatewayUrl).host],
    });
    mobile = await launchChromium(network.url);
    wifi = await launchChromium();
  });

  afterAll(async () => {
    await mobile?.close();
    await wifi?.close();
    await network?.close();
    await foreign?.close();
    await bankApp?.stop();
    await app?.close();
    await database?.drop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  afterEach(() => {
    network.setSubscriber(NUMBER);
  });

  it('verifies a sandbox number end to end on mobile data, checks its SIM swap, and links every step by sdkSessionId', async () => {
    const from = new Date().toISOString();
    const { context, traffic } = await newContext(mobile);
    const page = await context.newPage();
    const outcome = await verifyOnPage(page, '#verify');
    expect(outcome).toEqual({
      state: 'verified',
      text: 'verified: +9627…67',
      simSwap: "Warning: this number's SIM changed within the last 240 hours.",
    });
    expect(network.enriched).toBeGreaterThan(0);
    expect(await unhandledRejections(page)).toEqual([]);
    await expectNoSecretIn(traffic, page);
    await context.close();

    const events = (await audit({ clientId: bank.clientId, from })).reverse();
    const enrichment = events.find((event) => event.action === 'enrichment')!;
    const sdkSessionId = enrichment.detail!.sdkSessionId as string;
    // Enriched by the operator network (its address), not by anything the page could send.
    expect(enrichment).toMatchObject({
      httpStatus: 200,
      verdict: { identified: true },
      sourceIp: '127.0.0.2',
      phoneMasked: '+**********67',
      actorType: 'client',
    });
    expect(
      events.map((event) => [
        event.action,
        event.httpStatus,
        event.detail?.sdkSessionId,
        event.verdict,
      ]),
    ).toEqual([
      ['sdk.token', 200, undefined, null],
      ['enrichment', 200, sdkSessionId, { identified: true }],
      ['sdk.session', 200, sdkSessionId, null],
      ['verify', 200, sdkSessionId, { validNumber: true }],
      ['sim_swap.check', 200, undefined, { swapped: true, maxAge: 240 }],
    ]);
    // CAMARA's body has no sdkSessionId: the sample backend sends it as the check's x-correlator.
    expect(events.find((event) => event.action === 'sim_swap.check')!.correlationId).toBe(
      sdkSessionId,
    );
    expect(
      events.filter((event) => event.phoneMasked !== null).map((event) => event.phoneMasked),
    ).toEqual(['+**********67', '+**********67', '+**********67']);
    // The browser's preflights are audited too (they carry no credentials, so no client).
    const preflights = await audit({ action: 'cors.preflight', from });
    expect(preflights.map((event) => [event.httpStatus, event.detail?.origin])).toEqual(
      expect.arrayContaining([[204, bankUrl]]),
    );
  });

  it('falls back on Wi-Fi: the SDK rejects with sdk_no_he_result and the page says so', async () => {
    const from = new Date().toISOString();
    const { context, traffic } = await newContext(wifi);
    const page = await context.newPage();
    const outcome = await verifyOnPage(page, '#verify');
    expect(outcome.state).toBe('fallback');
    expect(outcome.text).toContain('are you on Wi-Fi?');
    expect(outcome.simSwap).toBe('');
    expect(await unhandledRejections(page)).toEqual([]);
    await expectNoSecretIn(traffic, page);
    await context.close();

    const events = (await audit({ clientId: bank.clientId, from })).reverse();
    const enrichment = events.find((event) => event.action === 'enrichment')!;
    expect(enrichment).toMatchObject({
      verdict: { identified: false },
      sourceIp: '127.0.0.1',
      phoneMasked: null,
    });
    expect(events.map((event) => [event.action, event.detail?.sdkSessionId])).toEqual([
      ['sdk.token', undefined],
      ['enrichment', enrichment.detail!.sdkSessionId],
      ['sdk.session', enrichment.detail!.sdkSessionId],
    ]);
  });

  it('runs the web variant end to end: check page in a hidden iframe, verify by transactionId, and refuses its replay', async () => {
    const from = new Date().toISOString();
    const { context, traffic } = await newContext(mobile);
    const page = await context.newPage();
    const outcome = await verifyOnPage(page, '#verify-web');
    expect(outcome).toMatchObject({ state: 'verified', text: 'verified: +9627…67' });
    expect(
      traffic
        .urls()
        .some((url) => /^GET http:\/\/127\.0\.0\.1:\d+\/v1\/he\/ZAIN_JO\/check$/.test(url)),
    ).toBe(true);
    expect(await page.locator('iframe').count()).toBe(0);
    expect(await unhandledRejections(page)).toEqual([]);
    await expectNoSecretIn(traffic, page);
    // The proof never reached the page.
    expect(await traffic.text()).not.toMatch(/"authmatechCode":"ey/);
    await context.close();

    const events = (await audit({ clientId: bank.clientId, from })).reverse();
    const transactionId = events.find((event) => event.action === 'enrichment')!.detail!
      .sdkSessionId as string;
    expect(
      events.map((event) => [event.action, event.httpStatus, event.detail?.sdkSessionId]),
    ).toEqual([
      ['sdk.token', 200, undefined],
      ['enrichment', 200, transactionId],
      ['sdk.session', 200, transactionId],
      ['verify', 200, transactionId],
      ['sim_swap.check', 200, undefined],
    ]);
    expect(events.find((event) => event.action === 'sim_swap.check')!.correlationId).toBe(
      transactionId,
    );
    expect((await audit({ action: 'enrichment.check_page', from })).length).toBeGreaterThan(0);

    const replay = await gatewayCall(
      'POST',
      `/v1/api/verify/${transactionId}`,
      apiKeyHeaders(bank),
      { mobileNumber: NUMBER, serviceType: 'LOGIN' },
    );
    expect([replay.json.data.validNumber, replay.json.messages[0].code]).toEqual([
      false,
      'PROOF_ALREADY_USED',
    ]);
    const stolen = await gatewayCall(
      'POST',
      `/v1/api/verify/${transactionId}`,
      apiKeyHeaders(otherBank),
      { mobileNumber: NUMBER, serviceType: 'LOGIN' },
    );
    expect([stolen.status, stolen.json.messages[0].code]).toEqual([404, 'TRANSACTION_NOT_FOUND']);
  });

  describe('a page on an origin the client does not allow', () => {
    it('cannot call the enrichment endpoints, in either variant, even on mobile data with a stolen SDK token', async () => {
      const from = new Date().toISOString();
      const { context } = await newContext(mobile);
      const page = await context.newPage();
      await page.goto(foreign.origin);
      const token = await sdkToken(bank);
      const options = {
        backendBaseURL: gatewayUrl,
        clientId: bank.clientId,
        sdkToken: token,
        timeoutMs: 15_000,
      };

      // No client allows this origin: the preflight is refused, the request never sent.
      const direct = await runSdk(
        page,
        sdkCall(options, 'startHeaderEnrichment', { heUrl: `${gatewayUrl}/v1/he/ZAIN_JO` }),
      );
      expect(direct).toMatchObject({
        ok: false,
        name: 'AuthmatechSdkError',
        code: 'network_error',
      });
      // The check page names the page that embeds it, and the gateway refuses it (readable there: same origin).
      const framed = await runSdk(
        page,
        sdkCall(options, 'initAuthmatechCheck', { checkUrl: `${gatewayUrl}/v1/he/ZAIN_JO/check` }),
      );
      expect(framed).toMatchObject({
        ok: false,
        code: 'request_refused',
        gatewayCode: 'ORIGIN_NOT_ALLOWED',
        status: 403,
      });
      // Nor can it call an API-key route, even holding a key: no CORS there at all.
      const leakedKey = String(
        await page.evaluate(
          `fetch(${JSON.stringify(`${gatewayUrl}/v1/api/verify`)}, { method: 'POST', headers: ${JSON.stringify({ ...apiKeyHeaders(otherBank), 'content-type': 'application/json' })}, body: '{}' }).then(() => 'answered', (error) => error.name)`,
        ),
      );
      expect(leakedKey).toBe('TypeError');
      expect(await unhandledRejections(page)).toEqual([]);
      await context.close();

      const preflights = await audit({ action: 'cors.preflight', from });
      expect(
        preflights
          .filter((event) => event.detail?.origin === foreign.origin)
          .map((event) => [event.httpStatus, event.errorCode]),
      ).toEqual(expect.arrayContaining([[403, 'ORIGIN_NOT_ALLOWED']]));
      const bankEvents = await audit({ clientId: bank.clientId, action: 'enrichment', from });
      expect(
        bankEvents.map((event) => [
          event.httpStatus,
          event.errorCode,
          event.detail?.origin,
          event.verdict,
        ]),
      ).toEqual([[403, 'ORIGIN_NOT_ALLOWED', foreign.origin, null]]);
      expect(await audit({ clientId: otherBank.clientId, action: 'verify', from })).toEqual([]);
    });

    it('is held to its own client’s list even when another client allows the origin', async () => {
      expect(
        (
          await asAdmin('PATCH', `/admin/v1/clients/${otherBank.clientId}`, {
            allowedOrigins: [foreign.origin],
          })
        ).status,
      ).toBe(200);
      const from = new Date().toISOString();
      const { context } = await newContext(mobile);
      const page = await context.newPage();
      await page.goto(foreign.origin);
      const heUrl = `${gatewayUrl}/v1/he/ZAIN_JO`;
      // The preflight passes (some client allows the origin); the request is refused for the bank's token.
      const withBankToken = await runSdk(
        page,
        sdkCall(
          { backendBaseURL: gatewayUrl, clientId: bank.clientId, sdkToken: await sdkToken(bank) },
          'startHeaderEnrichment',
          { heUrl },
        ),
      );
      expect(withBankToken).toMatchObject({ ok: false, code: 'network_error' });
      // The client that allows it is served.
      const withOwnToken = await runSdk(
        page,
        sdkCall(
          {
            backendBaseURL: gatewayUrl,
            clientId: otherBank.clientId,
            sdkToken: await sdkToken(otherBank),
          },
          'startHeaderEnrichment',
          { heUrl },
        ),
      );
      expect(withOwnToken).toMatchObject({
        ok: true,
        value: { MNOID: 'ZAIN_JO', authmatechCode: expect.any(String) },
      });
      expect(await unhandledRejections(page)).toEqual([]);
      await context.close();

      const refused = await audit({ clientId: bank.clientId, action: 'enrichment', from });
      expect(
        refused.map((event) => [event.httpStatus, event.errorCode, event.detail?.origin]),
      ).toEqual([[403, 'ORIGIN_NOT_ALLOWED', foreign.origin]]);
    });
  });

  it('refuses a replayed proof and a proof taken from another client’s session', async () => {
    const { context } = await newContext(mobile);
    const bankPage = await context.newPage();
    await bankPage.goto(bankUrl);
    const enrich = async (page: Page, client: CreatedClient) => {
      const outcome = await runSdk(
        page,
        sdkCall(
          {
            backendBaseURL: gatewayUrl,
            clientId: client.clientId,
            sdkToken: await sdkToken(client),
          },
          'startHeaderEnrichment',
          { heUrl: `${gatewayUrl}/v1/he/ZAIN_JO` },
        ),
      );
      expect(outcome.ok).toBe(true);
      return outcome.value as { authmatechCode: string; sdkSessionId: string };
    };
    const first = await enrich(bankPage, bank);
    const second = await enrich(bankPage, bank);
    const foreignPage = await context.newPage();
    await foreignPage.goto(foreign.origin);
    await asAdmin('PATCH', `/admin/v1/clients/${otherBank.clientId}`, {
      allowedOrigins: [foreign.origin],
    });
    const others = await enrich(foreignPage, otherBank);
    await context.close();

    const valid = await verify(bank, {
      encryptedMobileNumber: first.authmatechCode,
      sdkSessionId: first.sdkSessionId,
    });
    expect(valid.json.data).toEqual({ validNumber: true });
    const replayed = await verify(bank, {
      encryptedMobileNumber: first.authmatechCode,
      sdkSessionId: first.sdkSessionId,
    });
    expect([replayed.json.data.validNumber, replayed.json.messages[0].code]).toEqual([
      false,
      'PROOF_ALREADY_USED',
    ]);
    const fromOtherClient = await verify(bank, {
      encryptedMobileNumber: others.authmatechCode,
      sdkSessionId: others.sdkSessionId,
    });
    expect([fromOtherClient.json.data.validNumber, fromOtherClient.json.messages[0].code]).toEqual([
      false,
      'PROOF_NOT_ISSUED_TO_CLIENT',
    ]);
    const underOtherSession = await verify(bank, {
      encryptedMobileNumber: second.authmatechCode,
      sdkSessionId: others.sdkSessionId,
    });
    expect([
      underOtherSession.json.data.validNumber,
      underOtherSession.json.messages[0].code,
    ]).toEqual([false, 'SESSION_MISMATCH']);
    // The other client's own backend still can use its proof: refusals spent nothing of it.
    const byItsClient = await verify(otherBank, {
      encryptedMobileNumber: others.authmatechCode,
      sdkSessionId: others.sdkSessionId,
    });
    expect(byItsClient.json.data).toEqual({ validNumber: true });
  });

  describe('every SDK failure is typed, bounded by its timeout, and leaves no unhandled rejection', () => {
    let silent: { origin: string; close(): Promise<void> };

    beforeAll(async () => {
      silent = await startSilentServer();
    });

    afterAll(async () => {
      await silent?.close();
    });

    async function onBankPage(
      browser: Browser,
      work: (page: Page, options: Record<string, unknown>) => Promise<void>,
    ): Promise<void> {
      // The sample page's CSP allows only its gateway; these cases also reach other servers.
      const { context } = await newContext(browser, { bypassCSP: true });
      const page = await context.newPage();
      await page.goto(bankUrl);
      await work(page, {
        backendBaseURL: gatewayUrl,
        clientId: bank.clientId,
        sdkToken: await sdkToken(bank),
        timeoutMs: 1_500,
      });
      expect(await unhandledRejections(page)).toEqual([]);
      await context.close();
    }

    it('sdk_no_he_result on Wi-Fi and for a subscriber of another operator', async () => {
      await onBankPage(wifi, async (page, options) => {
        expect(
          await runSdk(
            page,
            sdkCall(options, 'startHeaderEnrichment', { heUrl: `${gatewayUrl}/v1/he/ZAIN_JO` }),
          ),
        ).toMatchObject({ code: 'sdk_no_he_result', status: 200, retryable: false });
        expect(
          await runSdk(
            page,
            sdkCall(options, 'initAuthmatechCheck', {
              checkUrl: `${gatewayUrl}/v1/he/ZAIN_JO/check`,
            }),
          ),
        ).toMatchObject({ code: 'sdk_no_he_result' });
      });
      network.setSubscriber('+962771234567');
      await onBankPage(mobile, async (page, options) => {
        expect(
          await runSdk(
            page,
            sdkCall(options, 'startHeaderEnrichment', { heUrl: `${gatewayUrl}/v1/he/ZAIN_JO` }),
          ),
        ).toMatchObject({ code: 'sdk_no_he_result' });
      });
    });

    it('token_refused for an SDK token the gateway does not accept', async () => {
      await onBankPage(mobile, async (page, options) => {
        const forged = { ...options, sdkToken: 'mig_sdk_eyJjIjoiZm9yZ2VkIn0.Zm9yZ2Vk' };
        expect(
          await runSdk(
            page,
            sdkCall(forged, 'startHeaderEnrichment', { heUrl: `${gatewayUrl}/v1/he/ZAIN_JO` }),
          ),
        ).toMatchObject({ code: 'token_refused', status: 401 });
        expect(
          await runSdk(
            page,
            sdkCall(forged, 'initAuthmatechCheck', {
              checkUrl: `${gatewayUrl}/v1/he/ZAIN_JO/check`,
            }),
          ),
        ).toMatchObject({ code: 'token_refused', status: 401 });
      });
    });

    it('operator_error when the operator is down', async () => {
      network.setSubscriber('+962790000503');
      await onBankPage(mobile, async (page, options) => {
        expect(
          await runSdk(
            page,
            sdkCall(options, 'startHeaderEnrichment', { heUrl: `${gatewayUrl}/v1/he/ZAIN_JO` }),
          ),
        ).toMatchObject({
          code: 'operator_error',
          status: 503,
          gatewayCode: 'OPERATOR_UNAVAILABLE',
          retryable: true,
        });
        expect(
          await runSdk(
            page,
            sdkCall(options, 'initAuthmatechCheck', {
              checkUrl: `${gatewayUrl}/v1/he/ZAIN_JO/check`,
            }),
          ),
        ).toMatchObject({ code: 'operator_error', status: 503 });
      });
    });

    it('timeout when nothing answers, network_error when nothing listens', async () => {
      await onBankPage(mobile, async (page, options) => {
        const started = Date.now();
        expect(
          await runSdk(
            page,
            sdkCall(options, 'startHeaderEnrichment', { heUrl: `${silent.origin}/v1/he/ZAIN_JO` }),
          ),
        ).toMatchObject({ code: 'timeout', retryable: true });
        expect(
          await runSdk(
            page,
            sdkCall(options, 'initAuthmatechCheck', {
              checkUrl: `${silent.origin}/v1/he/ZAIN_JO/check`,
            }),
          ),
        ).toMatchObject({ code: 'timeout' });
        expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
        expect(await page.locator('iframe').count()).toBe(0);
      });
      const closed = await startSilentServer();
      await closed.close();
      await onBankPage(wifi, async (page, options) => {
        expect(
          await runSdk(
            page,
            sdkCall(options, 'startHeaderEnrichment', { heUrl: `${closed.origin}/v1/he/ZAIN_JO` }),
          ),
        ).toMatchObject({ code: 'network_error' });
      });
    });

    it('a TypeError for invalid options, before any request', async () => {
      await onBankPage(wifi, async (page) => {
        expect(
          await runSdk(
            page,
            `new AuthmatechWebSDK({ backendBaseURL: '/relative', clientId: 'x', sdkToken: 'y' })`,
          ),
        ).toMatchObject({ ok: false, name: 'TypeError' });
        expect(
          await runSdk(
            page,
            `initAuthmatechCheck({ checkUrl: ${JSON.stringify(`${gatewayUrl}/v1/he/ZAIN_JO/check`)} })`,
          ),
        ).toMatchObject({ ok: false, name: 'TypeError' });
      });
    });
  });
});
