import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import {
  browserTestsCanRun,
  CHROMIUM,
  CHROMIUM_ARGS,
  cli,
  eventually,
  fingerprintOf,
  sandboxVerify,
  totpCode,
} from './console-kit.js';

/**
 * Every run writes the screenshots; `npm run screenshots` writes them to docs/screenshots (the
 * README's), other runs to a temporary folder so a test run never changes tracked files.
 */
const SCREENSHOTS =
  process.env.CONSOLE_SCREENSHOTS_DIR ?? path.join(tmpdir(), 'mig-console-screenshots');
const PASSWORD = 'correct horse battery staple';
const describeInBrowser = browserTestsCanRun() ? describe : describe.skip;
const AXE_SOURCE = readFileSync(path.resolve('node_modules/axe-core/axe.min.js'), 'utf8');

/**
 * The console driven in headless Chromium against the built gateway (`dist/main.js`, as `npm
 * start` runs it) on its own PostgreSQL database. The cases follow one story and share its
 * state: admin → client user → keys → auditor, in the order of issue 14's flows.
 */
describeInBrowser('Console in a real browser', () => {
  let database: TestDatabase;
  let gateway: GatewayProcess;
  let browser: Browser;
  let url: string;
  const cspViolations: string[] = [];
  const accessibility: string[] = [];
  const contexts: BrowserContext[] = [];

  // What the story learns as it goes.
  const story = {
    clientA: '',
    clientB: '',
    clientBKey: '',
    apiKey: '',
    rotatedKey: '',
    verifyCorrelator: `e2e-verify-${randomUUID()}`,
    inGraceCorrelator: `e2e-old-key-in-grace-${randomUUID()}`,
    refusedCorrelator: '',
  };
  let admin: Page;
  let client: Page;
  let auditor: Page;

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 860 },
      acceptDownloads: true,
      baseURL: url,
    });
    contexts.push(context);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text()))
        cspViolations.push(message.text());
    });
    return page;
  }

  /** Each page photographed is also checked with axe-core (WCAG 2 A and AA: labels, names, contrast…). */
  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
    // Evaluated through the DevTools protocol, so the page's CSP (no inline script) does not apply.
    await page.evaluate(AXE_SOURCE);
    const { passes, violations } = await page.evaluate<{
      passes: string[];
      violations: { id: string; impact: string; nodes: string[] }[];
    }>(
      `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then((result) => ({
         passes: result.passes.map((rule) => rule.id),
         violations: result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((node) => node.target.join(' ')) })),
       }))`,
    );
    // The checks did run: at least contrast and names are among the passed rules of every page.
    expect(passes).toEqual(
      expect.arrayContaining(['color-contrast', 'document-title', 'html-has-lang']),
    );
    for (const violation of violations)
      accessibility.push(
        `${name}: ${violation.id} (${violation.impact}) at ${violation.nodes.join(', ')}`,
      );
  }

  /** Accepts an invitation in the page; answers the enrolled TOTP secret, if one was set up. */
  async function acceptInvitation(
    page: Page,
    link: string,
    withTotp: boolean,
  ): Promise<string | undefined> {
    await page.goto(link);
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    let secret: string | undefined;
    if (withTotp) {
      secret = await page.getByLabel('Secret', { exact: true }).inputValue();
      await page.getByLabel('Code shown by the app').fill(totpCode(secret));
    }
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('heading', { name: 'Account ready' }).waitFor();
    return secret;
  }

  async function signIn(page: Page, email: string, password: string, code?: string): Promise<void> {
    await page.goto('/console/sign-in');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    if (code) await page.getByLabel('Authentication code').fill(code);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    database = await createTestDatabase();
    gateway = await startGatewayProcess({
      ...database.overrides,
      LOG_LEVEL: 'info',
      CONSOLE_LOCKOUT_THRESHOLD: '5',
    });
    url = gateway.url;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await gateway?.stop();
    await database?.drop();
  });

  it('1. an admin signs in with TOTP and invites a client user, whose API key (shown once) makes a sandbox verify succeed', async () => {
    // The first admin comes from the CLI, as the README says.
    const created = cli(
      database.overrides,
      'user:create',
      '--email',
      'admin@bank.test',
      '--role',
      'admin',
    );
    admin = await newPage();
    const adminSecret = await acceptInvitation(
      admin,
      `${url}/console/invite#${String(created.invitationToken)}`,
      true,
    );
    expect(adminSecret).toMatch(/^[A-Z2-7]{32}$/);

    // Without the code the password alone is refused; with it (the next step: the enrolment used this one) the admin is in.
    await signIn(admin, 'admin@bank.test', PASSWORD);
    await admin.getByRole('alert').filter({ hasText: 'Sign-in failed' }).waitFor();
    await shot(admin, 'sign-in');
    await signIn(admin, 'admin@bank.test', PASSWORD, totpCode(adminSecret!, 1));
    await admin.getByRole('heading', { name: 'Clients', exact: true }).waitFor();

    // Two sandbox clients: A for the story, B to prove isolation.
    for (const name of ['Acme Bank (sandbox)', 'Beta Pay (sandbox)']) {
      await admin.getByLabel('Name').fill(name);
      await admin.getByRole('button', { name: 'Create client' }).click();
      const apiKey = await admin
        .getByRole('textbox', { name: 'New client’s API key', exact: true })
        .inputValue();
      const clientId = (await admin.locator('.secret code').first().textContent())!;
      if (name.startsWith('Acme')) story.clientA = clientId;
      else {
        story.clientB = clientId;
        story.clientBKey = apiKey;
      }
      await admin.getByRole('button', { name: 'I have stored it' }).click();
    }
    await admin.getByRole('cell', { name: story.clientA }).waitFor();
    await shot(admin, 'admin-clients');

    await admin.getByRole('link', { name: 'Console users' }).click();
    await admin.getByLabel('Email').fill('alice@acme.test');
    await admin.getByLabel('Role').selectOption('client');
    await admin.getByLabel(new RegExp(`Acme Bank.*${story.clientA}`)).check();
    await admin.getByRole('button', { name: 'Invite' }).click();
    const link = await admin
      .getByRole('textbox', { name: 'Invitation link for alice@acme.test', exact: true })
      .inputValue();
    expect(link).toContain('/console/invite#');
    await admin.getByRole('button', { name: 'I have stored it' }).click();
    await admin.getByRole('cell', { name: 'alice@acme.test', exact: true }).waitFor();
    await shot(admin, 'admin-users');

    // The client user sets a password (no second factor: optional for client users) and signs in with the keyboard only.
    client = await newPage();
    await acceptInvitation(client, link, false);
    await client.goto('/console/sign-in');
    await client.getByLabel('Email').focus();
    await client.keyboard.type('alice@acme.test');
    await client.keyboard.press('Tab');
    await client.keyboard.type(PASSWORD);
    await client.keyboard.press('Enter');
    await client.getByRole('heading', { name: 'Keys & balance' }).waitFor();
    expect(await client.getByTestId('client-id').textContent()).toBe(story.clientA);

    // With the keyboard: Enter on the button; the new key's field then has the focus, ready to copy.
    await client.getByRole('button', { name: 'Generate API key' }).focus();
    await client.keyboard.press('Enter');
    story.apiKey = await client
      .getByRole('textbox', { name: 'New API key', exact: true })
      .inputValue();
    expect(
      await client.evaluate(
        "document.activeElement && document.activeElement.getAttribute('aria-label')",
      ),
    ).toBe('New API key');
    expect(story.apiKey).toMatch(/^mig_test_/);
    await shot(client, 'client-key-shown-once');

    // The key read from the page works through the public API.
    const verify = await sandboxVerify(url, story.clientA, story.apiKey, story.verifyCorrelator);
    expect(verify).toMatchObject({
      status: 200,
      body: { success: true, data: { validNumber: true } },
    });

    // After a reload the key is nowhere on the page: not in the text, the markup or any field.
    await client.reload();
    await client
      .getByRole('cell', { name: `•••••••• ${fingerprintOf(story.apiKey)}`, exact: true })
      .waitFor();
    // Each page moves the focus to its title (announced by screen readers), and the first control of
    // every page is the link that skips the navigation.
    expect(await client.evaluate('document.activeElement && document.activeElement.tagName')).toBe(
      'H1',
    );
    expect(
      await client.evaluate(
        "document.querySelector('a[href], button, input, select, textarea').textContent",
      ),
    ).toBe('Skip to content');
    expect(await client.content()).not.toContain(story.apiKey);
    const fieldValues = await client.$$eval('input, textarea', (fields) =>
      fields.map((field) => (field as unknown as { value: string }).value),
    );
    expect(fieldValues.join('\n')).not.toContain(story.apiKey);
    // Nor anywhere the page could have kept it: web storage, the Cache Storage, IndexedDB, cookies.
    // (127.0.0.1 is a secure context, so Cache Storage and IndexedDB exist and are really read.)
    const kept = await client.evaluate<{
      secure: boolean;
      local: string;
      session: string;
      cached: string;
      databases: number;
    }>(`(async () => {
      const cached = [];
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) cached.push(request.url, await (await cache.match(request)).text());
      }
      return {
        secure: window.isSecureContext,
        local: JSON.stringify(Object.entries(localStorage)),
        session: JSON.stringify(Object.entries(sessionStorage)),
        cached: cached.join('\\n'),
        databases: (await indexedDB.databases()).length,
      };
    })()`);
    expect(kept.secure).toBe(true);
    for (const place of [kept.local, kept.session, kept.cached])
      expect(place).not.toContain(story.apiKey);
    expect(kept.databases).toBe(0);
    const cookies = await client.context().cookies();
    // The session cookie (a random token, HttpOnly) is the only one, and no cookie holds the key.
    expect(cookies.map((cookie) => [cookie.name, cookie.httpOnly])).toEqual([
      ['mig_console', true],
    ]);
    expect(cookies.filter((cookie) => cookie.value.includes(story.apiKey))).toEqual([]);
    await shot(client, 'client-keys');
  });

  it('2. the client user rotates the key with a grace period: the old key works during it, not after, and the auditor finds both calls and the rotation', async () => {
    await client
      .getByRole('button', { name: `Rotate API key ${fingerprintOf(story.apiKey)}` })
      .click();
    await client.getByLabel('Keep the old key working for').selectOption('custom');
    await client.getByLabel('Grace period in seconds').fill('6');
    await client.getByRole('button', { name: 'Rotate now' }).click();
    story.rotatedKey = await client
      .getByRole('textbox', { name: 'New API key', exact: true })
      .inputValue();
    expect(story.rotatedKey).not.toBe(story.apiKey);
    await client.getByText('The key it replaces keeps working until').waitFor();

    const call = (key: string, correlator: string) =>
      fetch(`${url}/v1/api/sdk/token`, {
        method: 'POST',
        headers: { 'x-client-id': story.clientA, 'x-api-key': key, 'x-correlator': correlator },
      });
    expect((await call(story.apiKey, story.inGraceCorrelator)).status).toBe(200);
    expect((await call(story.rotatedKey, `e2e-new-key-${randomUUID()}`)).status).toBe(200);
    story.refusedCorrelator = await eventually(async () => {
      const correlator = `e2e-old-key-after-grace-${randomUUID()}`;
      return (await call(story.apiKey, correlator)).status === 401 ? correlator : undefined;
    }, 'the old key to stop working at the end of its grace period');
    expect((await call(story.rotatedKey, `e2e-new-key-${randomUUID()}`)).status).toBe(200);

    // The auditor: invited by the admin, second factor required.
    await admin.getByRole('link', { name: 'Console users' }).click();
    await admin.getByLabel('Email').fill('audrey@bank.test');
    await admin.getByLabel('Role').selectOption('auditor');
    await admin.getByRole('button', { name: 'Invite' }).click();
    const link = await admin
      .getByRole('textbox', { name: 'Invitation link for audrey@bank.test', exact: true })
      .inputValue();
    auditor = await newPage();
    const secret = await acceptInvitation(auditor, link, true);
    await signIn(auditor, 'audrey@bank.test', PASSWORD, totpCode(secret!, 1));
    await auditor.getByRole('heading', { name: 'Audit search' }).waitFor();

    const search = async (filters: Record<string, string>) => {
      await auditor.goto('/console/audit/events');
      for (const [label, value] of Object.entries(filters))
        await auditor.getByLabel(label, { exact: true }).fill(value);
      await auditor.getByRole('button', { name: 'Search' }).click();
    };
    await search({ 'Correlation id': story.inGraceCorrelator });
    const inGrace = auditor.getByRole('row').filter({ hasText: story.inGraceCorrelator });
    await inGrace.waitFor();
    await expect(inGrace.getByRole('cell', { name: 'success', exact: true }).count()).resolves.toBe(
      1,
    );
    await search({ 'Correlation id': story.refusedCorrelator });
    const refused = auditor.getByRole('row').filter({ hasText: story.refusedCorrelator });
    await refused.getByRole('cell', { name: /^401 / }).waitFor();
    await expect(refused.getByRole('cell', { name: 'failure', exact: true }).count()).resolves.toBe(
      1,
    );
    await search({ Action: 'credential.rotate', 'Client id': story.clientA });
    await auditor.getByRole('row').filter({ hasText: 'console_user' }).first().waitFor();
  });

  it('3. the auditor finds the verify by correlation id, exports it as CSV, runs integrity checks and sees the first tampered position', async () => {
    await auditor.goto('/console/audit/events');
    await auditor.getByLabel('Correlation id').fill(story.verifyCorrelator);
    await auditor.getByRole('button', { name: 'Search' }).click();
    const row = auditor.getByRole('row').filter({ hasText: story.verifyCorrelator });
    await row.getByRole('cell', { name: 'verify', exact: true }).waitFor();
    await shot(auditor, 'audit-search');
    const eventId = (await row.getByRole('link').textContent())!;

    const [download] = await Promise.all([
      auditor.waitForEvent('download'),
      auditor.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8');
    const lines = csv.trim().split('\n');
    expect(lines[0]).toContain('correlationId');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(story.verifyCorrelator);
    expect(lines[1]).toContain(',"verify",');

    await row.getByRole('link').click();
    await auditor.getByRole('heading', { name: `Event ${eventId}` }).waitFor();
    await auditor.getByText('{"validNumber":true}').waitFor();
    await shot(auditor, 'audit-event');

    await auditor.getByRole('link', { name: 'Report' }).click();
    await auditor.locator('.recharts-bar-rectangle').first().waitFor();
    await shot(auditor, 'audit-report');

    await auditor.getByRole('link', { name: 'Integrity' }).click();
    await auditor.getByRole('button', { name: 'Run integrity check' }).click();
    await auditor.getByText(/Chain intact: \d+ events checked/).waitFor();
    await expect(auditor.getByTestId('head-hash').textContent()).resolves.toMatch(/^[0-9a-f]{64}$/);
    await shot(auditor, 'audit-integrity');

    // An intruder with the owner's rights edits the verdict, past the append-only trigger.
    const owner = await database.connect();
    try {
      await owner.query('BEGIN');
      await owner.query('SET LOCAL session_replication_role = replica');
      await owner.query(`UPDATE audit_event SET verdict = '{"validNumber": false}' WHERE id = $1`, [
        eventId,
      ]);
      await owner.query('COMMIT');
    } finally {
      await owner.end();
    }
    await auditor.reload();
    await auditor.getByRole('button', { name: 'Run integrity check' }).click();
    const broken = auditor.getByTestId('first-broken');
    await broken.waitFor();
    expect(await broken.textContent()).toContain(`Chain broken at position ${eventId} (altered)`);
    await shot(auditor, 'audit-integrity-broken');
  });

  it('4. roles and clients are enforced by the server, CSRF tokens are required and repeated bad passwords lock the account', async () => {
    // A client user opening an admin or audit page, or calling their APIs with the session: 403.
    for (const path of ['/console/admin/clients', '/console/audit/events']) {
      const response = await client.goto(path);
      expect(response?.status()).toBe(403);
      await client.getByRole('heading', { name: /Not allowed/ }).waitFor();
    }
    for (const path of [
      '/console/api/admin/clients',
      '/console/api/admin/users',
      '/console/api/audit/events',
    ]) {
      expect((await client.request.get(path)).status()).toBe(403);
    }
    // The admin API (/admin/v1) takes admin keys only: a signed-in console user's session is refused with 403 too.
    const adminApi = await client.request.get('/admin/v1/clients');
    expect(adminApi.status()).toBe(403);
    expect(await adminApi.json()).toMatchObject({ status: 403, code: 'PERMISSION_DENIED' });

    // Client A never sees client B: not by id, not in the lists.
    await sandboxVerify(
      url,
      story.clientB,
      story.clientBKey,
      `e2e-client-b-${randomUUID()}`,
      '+962791230000',
    );
    for (const path of [
      `/console/api/client/${story.clientB}`,
      `/console/api/client/${story.clientB}/calls`,
      `/console/api/client/${story.clientB}/credentials`,
    ]) {
      expect((await client.request.get(path)).status()).toBe(404);
    }
    await client.goto('/console/client/calls');
    // Their own verify, with its number masked and its latency.
    const own = client.getByRole('row').filter({ hasText: story.verifyCorrelator });
    await own.getByRole('cell', { name: '+**********67', exact: true }).waitFor();
    expect(await client.content()).not.toContain('+962791234567');
    expect(await client.content()).not.toContain('e2e-client-b-');
    await client.getByRole('link', { name: 'Usage' }).click();
    await client.locator('.recharts-bar-rectangle').first().waitFor();
    await shot(client, 'client-usage');

    // A state-changing call without the session's CSRF token is refused, and changes nothing.
    const list = async () =>
      (
        (await (
          await client.request.get(`/console/api/client/${story.clientA}/credentials`)
        ).json()) as { items: unknown[] }
      ).items.length;
    const before = await list();
    const issue = (headers: Record<string, string>) =>
      client.request.post(`/console/api/client/${story.clientA}/credentials`, {
        data: { kind: 'api_key' },
        headers,
      });
    expect((await issue({})).status()).toBe(401);
    expect((await issue({ 'x-csrf-token': 'forged' })).status()).toBe(401);
    expect(await list()).toBe(before);
    const { csrfToken } = (await (await client.request.get('/console/api/session')).json()) as {
      csrfToken: string;
    };
    expect((await issue({ 'x-csrf-token': csrfToken })).status()).toBe(201);
    expect(await list()).toBe(before + 1);

    // Five wrong passwords lock the account; then even the right one is refused.
    const stranger = await newPage();
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      await signIn(stranger, 'alice@acme.test', `wrong password ${attempt}`);
      await stranger.getByRole('alert').filter({ hasText: 'Sign-in failed' }).waitFor();
    }
    await signIn(stranger, 'alice@acme.test', PASSWORD);
    await stranger.getByRole('alert').filter({ hasText: 'Sign-in failed' }).waitFor();
    expect(stranger.url()).toContain('/console/sign-in');
    const locks = (await (
      await auditor.request.get('/console/api/audit/events?action=console_user.lock')
    ).json()) as { items: { detail: { failedAttempts: number } }[] };
    expect(locks.items).toHaveLength(1);
    expect(locks.items[0].detail.failedAttempts).toBe(5);
    await admin.goto('/console/admin/users');
    await admin
      .getByRole('row')
      .filter({ hasText: 'alice@acme.test' })
      .getByText(/locked until/)
      .waitFor();
  });

  it('admin pages: a client edited, topped up and suspended; a sandbox and a live client switched by one client user; JWT keys and sandbox numbers through the API; operators and admin keys; NDJSON export and retention', async () => {
    // A live client of the same customer, created and edited by the admin.
    await admin.goto('/console/admin/clients');
    await admin.getByLabel('Name').fill('Acme Bank (live)');
    await admin.getByLabel('Environment').selectOption('LIVE');
    await admin.getByRole('button', { name: 'Create client' }).click();
    const liveClient = (await admin.locator('.secret code').first().textContent())!;
    expect(liveClient).not.toBe(story.clientA);
    await admin.getByRole('button', { name: 'I have stored it' }).click();
    await admin.getByRole('link', { name: 'Acme Bank (live)' }).click();
    await admin.getByRole('heading', { name: 'Client Acme Bank (live)' }).waitFor();
    await admin.getByRole('button', { name: 'Edit' }).click();
    await admin.getByLabel('Rate limit (requests per minute)').fill('120');
    await admin.getByRole('checkbox', { name: 'DEVICE_SWAP' }).check();
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.getByText('Client saved.').waitFor();
    await admin.getByText('120/min').waitFor();
    await admin
      .getByText(/DEVICE_SWAP/)
      .first()
      .waitFor();
    await admin.getByLabel('Credits to add').fill('100');
    await admin.getByRole('button', { name: 'Top up' }).click();
    await admin.getByText('Balance topped up.').waitFor();
    await admin.getByRole('cell', { name: '+100', exact: true }).waitFor();

    // Allowed origins (issue 15): the server's refusal shown beside the field, then a list that
    // opens CORS for exactly those origins, audited with the new list.
    const preflightFrom = (origin: string) =>
      fetch(`${url}/v1/he/ZAIN_JO`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'x-sdk-token,x-client-id',
        },
      }).then((answer) => answer.status);
    expect(await preflightFrom('https://m.acme.example:8443')).toBe(403);
    await admin.getByRole('button', { name: 'Edit' }).click();
    const origins = admin.getByLabel('Allowed origins (one per line)');
    await origins.fill('http://acme.example');
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin
      .getByRole('alert')
      .filter({ hasText: 'allowedOrigins: a LIVE client allows https origins only' })
      .waitFor();
    await origins.fill('https://acme.example/login');
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin
      .getByRole('alert')
      .filter({ hasText: /allowedOrigins.*without path/ })
      .waitFor();
    await origins.fill('https://acme.example\n\nhttps://m.acme.example:8443\n');
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.getByTestId('allowed-origins').getByText('https://m.acme.example:8443').waitFor();
    expect(
      await admin.getByTestId('allowed-origins').getByRole('listitem').allTextContents(),
    ).toEqual(['https://acme.example', 'https://m.acme.example:8443']);
    const stored = (await (
      await admin.request.get(`/console/api/admin/clients/${liveClient}`)
    ).json()) as { client: { allowedOrigins: string[] } };
    expect(stored.client.allowedOrigins).toEqual([
      'https://acme.example',
      'https://m.acme.example:8443',
    ]);
    expect(await preflightFrom('https://m.acme.example:8443')).toBe(204);
    const updates = (await (
      await auditor.request.get(
        `/console/api/audit/events?action=client.update&clientId=${liveClient}`,
      )
    ).json()) as { items: { actorType: string; detail: { allowedOrigins?: string[] } }[] };
    expect(
      updates.items
        .filter((event) => event.detail.allowedOrigins)
        .map((event) => [event.actorType, event.detail.allowedOrigins]),
    ).toEqual([['console_user', ['https://acme.example', 'https://m.acme.example:8443']]]);
    await shot(admin, 'admin-client-detail');

    // Intelligence policies of client A: the one in force per service type, a JSON draft refused
    // by the server's validation, then a new version, its versions, and the client reading it.
    // Reached from the menu (choose a client) and from the client's page.
    await admin.getByRole('link', { name: 'Policies', exact: true }).click();
    await admin.getByRole('link', { name: 'Policies of Acme Bank (sandbox)' }).waitFor();
    await admin.goto(`/console/admin/clients/${story.clientA}`);
    await admin.getByRole('link', { name: 'Intelligence policies' }).click();
    await admin.getByRole('heading', { name: 'Intelligence policies' }).waitFor();
    const loginRow = admin
      .getByRole('row')
      .filter({ has: admin.getByRole('cell', { name: 'LOGIN', exact: true }) });
    await loginRow.getByRole('cell', { name: '0 (default)', exact: true }).waitFor();
    await loginRow.getByRole('button', { name: 'Open the LOGIN policy' }).click();
    const editor = admin.getByLabel('Policy of LOGIN (JSON)');
    expect(JSON.parse(await editor.inputValue())).toMatchObject({
      base: 30,
      thresholds: { challenge: 40, review: 60, block: 80 },
    });
    await editor.fill('{ "thresholds": ');
    await admin.getByRole('button', { name: 'Store as new version' }).click();
    await admin.getByRole('alert').filter({ hasText: 'Not valid JSON' }).waitFor();
    await editor.fill('{ "thresholds": { "challenge": 90 } }');
    await admin.getByRole('button', { name: 'Store as new version' }).click();
    await admin
      .getByRole('alert')
      .filter({ hasText: 'thresholds must satisfy challenge ≤ review ≤ block. (INVALID_POLICY)' })
      .waitFor();
    await editor.fill('{ "thresholds": { "challenge": 35 }, "weights": { "not_a_factor": 3 } }');
    await admin.getByRole('button', { name: 'Store as new version' }).click();
    await admin.getByRole('alert').filter({ hasText: '(INVALID_ARGUMENT)' }).waitFor();
    await editor.fill('{ "thresholds": { "challenge": 35 } }');
    await admin.getByRole('button', { name: 'Store as new version' }).click();
    await admin.getByRole('status').filter({ hasText: 'Version 1 of LOGIN stored' }).waitFor();
    await loginRow.getByRole('cell', { name: '1', exact: true }).waitFor();
    const versionRows = admin.getByRole('table', { name: 'LOGIN: newest first' }).getByRole('row');
    await versionRows.nth(2).waitFor();
    expect(await versionRows.count()).toBe(3);
    await admin.getByText('Policy of version 1', { exact: true }).click();
    expect(
      await admin
        .getByRole('table', { name: 'LOGIN: newest first' })
        .locator('pre')
        .first()
        .textContent(),
    ).toContain('"challenge": 35');
    await shot(admin, 'admin-policies');
    // In force for the client, as its backend reads it through the public API.
    const own = await fetch(`${url}/v1/api/me/intelligence/policies`, {
      headers: { 'x-client-id': story.clientA, 'x-api-key': story.rotatedKey },
    });
    expect(
      (
        (await own.json()) as {
          data: { LOGIN: { version: number; policy: { thresholds: { challenge: number } } } };
        }
      ).data.LOGIN,
    ).toMatchObject({ version: 1, policy: { thresholds: { challenge: 35 } } });
    // Admins only, by the server: the auditor's page and API calls get 403.
    expect((await auditor.goto(`/console/admin/clients/${story.clientA}/policies`))?.status()).toBe(
      403,
    );
    expect(
      (await auditor.request.get(`/console/api/admin/clients/${story.clientA}/policies`)).status(),
    ).toBe(403);
    expect(
      (
        await client.request.get(
          `/console/api/admin/clients/${story.clientA}/policies/LOGIN/versions`,
        )
      ).status(),
    ).toBe(403);

    // Suspending client B stops its key at once; reactivating restores it.
    const tokenOfB = () =>
      fetch(`${url}/v1/api/sdk/token`, {
        method: 'POST',
        headers: { 'x-client-id': story.clientB, 'x-api-key': story.clientBKey },
      }).then((answer) => answer.status);
    await admin.goto(`/console/admin/clients/${story.clientB}`);
    await admin.getByRole('button', { name: 'Suspend' }).click();
    await admin.getByText('Client suspended: its calls are refused.').waitFor();
    expect(await tokenOfB()).not.toBe(200);
    await admin.getByRole('button', { name: 'Reactivate' }).click();
    await admin.getByText('Client active again.').waitFor();
    expect(await tokenOfB()).toBe(200);

    // One client user bound to the sandbox and the live client switches between them in the header.
    await admin.getByRole('link', { name: 'Console users' }).click();
    await admin.getByLabel('Email').fill('carol@acme.test');
    await admin.getByLabel('Role').selectOption('client');
    await admin.getByLabel(new RegExp(`Acme Bank \\(sandbox\\).*${story.clientA}`)).check();
    await admin.getByLabel(new RegExp(`Acme Bank \\(live\\).*${liveClient}`)).check();
    await admin.getByRole('button', { name: 'Invite' }).click();
    const link = await admin
      .getByRole('textbox', { name: 'Invitation link for carol@acme.test', exact: true })
      .inputValue();
    const carol = await newPage();
    await acceptInvitation(carol, link, false);
    await signIn(carol, 'carol@acme.test', PASSWORD);
    await carol.getByRole('heading', { name: 'Keys & balance' }).waitFor();
    const environment = carol.getByLabel('Environment');
    await environment.selectOption({ label: 'Live — Acme Bank (live)' });
    await eventually(
      async () =>
        (await carol.getByTestId('client-id').textContent()) === liveClient ? true : undefined,
      'the live client to be shown',
    );
    await carol.getByText(/100\s*verification credits/).waitFor();
    await shot(carol, 'client-live');
    await environment.selectOption({ label: 'Sandbox — Acme Bank (sandbox)' });
    await eventually(
      async () =>
        (await carol.getByTestId('client-id').textContent()) === story.clientA ? true : undefined,
      'the sandbox client to be shown',
    );
    await carol.getByText('Sandbox: calls are never charged.').waitFor();

    // The admin sets what a sandbox number answers; a JWT key Carol generates (kid + secret shown once) reads it through CAMARA.
    const swappedAt = new Date(Date.now() - 2 * 86_400_000);
    swappedAt.setSeconds(0, 0);
    const local = (date: Date) =>
      `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}T${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
    await admin.getByRole('link', { name: 'Sandbox numbers' }).click();
    await admin.getByLabel('Phone number (E.164)').fill('+31612345007');
    await admin.getByLabel('Latest SIM change (empty = never swapped)').fill(local(swappedAt));
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.getByText('+31612345007 now answers the dates set.').waitFor();
    await shot(admin, 'admin-sandbox');

    await carol.getByRole('button', { name: 'Generate JWT key' }).click();
    const jwtSecret = await carol
      .getByRole('textbox', { name: 'New JWT key', exact: true })
      .inputValue();
    const kid = (await carol.locator('.secret code').first().textContent())!;
    expect(kid).toMatch(/^[0-9a-f-]{36}$/);
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid })
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode(jwtSecret));
    const camara = await fetch(`${url}/sim-swap/v2/retrieve-date`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumber: '+31612345007' }),
    });
    expect(camara.status).toBe(200);
    expect(await camara.json()).toEqual({ latestSimChange: swappedAt.toISOString() });
    await carol.reload();
    await carol.getByRole('cell', { name: `kid ${kid}`, exact: true }).waitFor();
    expect(await carol.content()).not.toContain(jwtSecret);

    // Operators and admin keys.
    await admin.getByRole('link', { name: 'Operators' }).click();
    await admin.getByLabel('Id', { exact: true }).fill('E2E_AE');
    await admin.getByLabel('Name', { exact: true }).fill('E2E operator (sandbox)');
    await admin.getByLabel('Country (ISO 3166 alpha-2)').fill('AE');
    await admin.getByLabel('Number prefixes (comma-separated, e.g. +96279)').fill('+97150');
    await admin.getByRole('button', { name: 'Add operator' }).click();
    await admin.getByRole('button', { name: 'Disable operator E2E_AE' }).click();
    await admin.getByRole('button', { name: 'Enable operator E2E_AE' }).waitFor();
    await shot(admin, 'admin-operators');

    await admin.getByRole('link', { name: 'Admin keys' }).click();
    await admin.getByLabel('Role').selectOption('auditor');
    await admin.getByRole('button', { name: 'Create key' }).click();
    const adminKey = await admin
      .getByRole('textbox', { name: 'New auditor key', exact: true })
      .inputValue();
    const readAudit = () =>
      fetch(`${url}/admin/v1/audit/events?limit=1`, {
        headers: { authorization: `Bearer ${adminKey}` },
      }).then((answer) => answer.status);
    expect(await readAudit()).toBe(200);
    await admin.getByRole('button', { name: 'I have stored it' }).click();
    await admin
      .getByRole('button', { name: `Revoke admin key ${fingerprintOf(adminKey)}` })
      .click();
    await admin
      .getByRole('row')
      .filter({ hasText: fingerprintOf(adminKey) })
      .getByRole('cell', { name: 'revoked' })
      .waitFor();
    expect(await readAudit()).toBe(401);
    await shot(admin, 'admin-keys');

    // The auditor's NDJSON export of the verify (streamed, one JSON object a line) and the retention page.
    await auditor.goto(`/console/audit/events?correlationId=${story.verifyCorrelator}`);
    await auditor.getByRole('row').filter({ hasText: story.verifyCorrelator }).waitFor();
    const [download] = await Promise.all([
      auditor.waitForEvent('download'),
      auditor.getByRole('link', { name: 'Export NDJSON' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^audit-.*\.ndjson$/);
    const lines = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    // A header line naming the schema and fields, then the one matching event.
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ schema: 'mobile-identity-gateway.audit-event/v1' });
    expect(lines[1]).toMatchObject({
      correlationId: story.verifyCorrelator,
      action: 'verify',
      outcome: 'success',
    });
    await auditor.getByRole('link', { name: 'Retention' }).click();
    await auditor.getByText(/\d+ days \(whole months past it are dropped daily\)/).waitFor();
    await auditor
      .getByRole('table', { name: 'Monthly partitions' })
      .getByRole('row')
      .nth(1)
      .waitFor();
    await shot(auditor, 'audit-retention');
  });

  it('renders a stored XSS payload as text: in a client name (the admin’s list and client page) and in a request’s user agent (audit event page)', async () => {
    // No quotes, so the event page (which shows values as JSON) shows it unchanged.
    const payload = '<img src=x onerror=window.__xss=1><script>window.__xss=2</script>';
    const dialogs: string[] = [];
    for (const page of [admin, auditor])
      page.on(
        'dialog',
        (dialog) => void dialog.dismiss().then(() => dialogs.push(dialog.message())),
      );

    await admin.goto('/console/admin/clients');
    await admin.getByLabel('Name').fill(payload);
    await admin.getByRole('button', { name: 'Create client' }).click();
    const xssClient = (await admin.locator('.secret code').first().textContent())!;
    const xssKey = await admin
      .getByRole('textbox', { name: 'New client’s API key', exact: true })
      .inputValue();
    await admin.getByRole('button', { name: 'I have stored it' }).click();
    await admin.getByRole('link', { name: payload }).waitFor();
    await admin.getByRole('link', { name: payload }).click();
    await admin.getByRole('heading', { name: `Client ${payload}` }).waitFor();

    // A call whose User-Agent carries the payload: the auditor opens its event.
    const correlator = `e2e-xss-${randomUUID()}`;
    const call = await fetch(`${url}/v1/api/sdk/token`, {
      method: 'POST',
      headers: {
        'x-client-id': xssClient,
        'x-api-key': xssKey,
        'x-correlator': correlator,
        'user-agent': payload,
      },
    });
    expect(call.status).toBe(200);
    await auditor.goto(`/console/audit/events?correlationId=${correlator}`);
    const row = auditor.getByRole('row').filter({ hasText: correlator });
    await row.getByRole('link').click();
    await auditor.getByText(payload).first().waitFor();

    for (const page of [admin, auditor]) {
      expect(
        await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss),
      ).toBeUndefined();
      expect(await page.locator('img[src="x"], main script').count()).toBe(0);
    }
    expect(dialogs).toEqual([]);
  });

  it('5. writes the screenshots the README shows; the pages load under the strict Content-Security-Policy without a violation and pass axe-core’s WCAG 2.1 AA checks', () => {
    const readme = readFileSync('README.md', 'utf8');
    const shown = [...readme.matchAll(/\(docs\/screenshots\/([a-z0-9-]+)\.png\)/g)].map(
      (match) => match[1],
    );
    expect(shown.length).toBeGreaterThanOrEqual(15);
    for (const name of shown)
      expect(`${name}: ${existsSync(`${SCREENSHOTS}/${name}.png`)}`).toBe(`${name}: true`);
    expect(cspViolations).toEqual([]);
    expect(accessibility).toEqual([]);
  });
});
