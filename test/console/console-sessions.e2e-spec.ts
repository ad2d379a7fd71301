import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ClientManagementService } from '../../src/modules/credentials/client-management.service.js';
import { SYSTEM_ACTOR } from '../../src/modules/credentials/credential-audit.js';
import { ConsoleUsersService } from '../../src/modules/console/console-users.service.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, itOnPostgres, type TestDatabase } from '../support/test-database.js';
import { rowsOf, totpCode } from './console-kit.js';

const PASSWORD = 'a long enough passphrase';

interface Signed {
  cookie: string;
  csrf: string;
}

/** Console accounts and sessions through the HTTP API (the browser suite drives the pages). */
describe('console accounts and sessions', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let clientA: string;
  let clientB: string;

  const inject = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    options: {
      signed?: Signed;
      payload?: object;
      headers?: Record<string, string>;
      csrf?: boolean;
    } = {},
  ) =>
    app.inject({
      method,
      url,
      headers: {
        ...(options.signed ? { cookie: options.signed.cookie } : {}),
        ...(options.signed && options.csrf !== false && method !== 'GET'
          ? { 'x-csrf-token': options.signed.csrf }
          : {}),
        ...options.headers,
      },
      ...(options.payload ? { payload: options.payload } : {}),
    });

  /** Invites through the service (as the CLI does) and accepts through the API; answers the TOTP secret. */
  async function activate(
    email: string,
    role: 'admin' | 'auditor' | 'client',
    clientIds: string[] = [],
    withTotp = role !== 'client',
  ): Promise<string> {
    const invitation = await app
      .get(ConsoleUsersService)
      .invite({ email, role, clientIds }, SYSTEM_ACTOR);
    const lookup = await inject('POST', '/console/api/invitations/lookup', {
      payload: { token: invitation.token },
    });
    expect(lookup.statusCode).toBe(200);
    const secret: string = lookup.json().totp.secret;
    const accepted = await inject('POST', '/console/api/invitations/accept', {
      payload: {
        token: invitation.token,
        password: PASSWORD,
        ...(withTotp ? { code: totpCode(secret) } : {}),
      },
    });
    expect(accepted.statusCode).toBe(200);
    if (withTotp) totpSecrets.set(email, secret);
    return secret;
  }
  const totpSecrets = new Map<string, string>();

  /**
   * Signs in. With a second factor it uses the next step's code (enrolment used this one): a
   * step is accepted once, so such users sign in once per test run (see `adminSession`).
   */
  async function signIn(email: string): Promise<Signed> {
    const secret = totpSecrets.get(email);
    const response = await inject('POST', '/console/api/session', {
      payload: { email, password: PASSWORD, ...(secret ? { code: totpCode(secret, 1) } : {}) },
    });
    expect(response.statusCode).toBe(200);
    const cookie = String(response.headers['set-cookie']).split(';')[0];
    return { cookie, csrf: response.json().csrfToken };
  }

  const events = (action: string) =>
    rowsOf(
      database,
      'SELECT actor_type, actor_id, outcome, detail, credential_kind, error_code FROM audit_event WHERE action = $1 ORDER BY id',
      [action],
    );

  const sql = (statement: string, params: unknown[] = []) => rowsOf(database, statement, params);

  let admin: Signed | undefined;
  async function adminSession(): Promise<Signed> {
    admin ??= await signIn('admin1@bank.test');
    return admin;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database);
    const clients = app.get(ClientManagementService);
    clientA = (
      await clients.createClient({ name: 'A', environment: 'SANDBOX', products: ['VERIFY'] })
    ).clientId;
    clientB = (
      await clients.createClient({ name: 'B', environment: 'SANDBOX', products: ['VERIFY'] })
    ).clientId;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('sets an HttpOnly, SameSite=Strict session cookie and audits the sign-in with the user as actor', async () => {
    await activate('client1@a.test', 'client', [clientA]);
    const response = await inject('POST', '/console/api/session', {
      payload: { email: 'Client1@A.test', password: PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(
      /^mig_console=[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/; HttpOnly; SameSite=Strict$/,
    );
    expect(response.headers['cache-control']).toBe('no-store');
    const signIns = await events('console_user.sign_in');
    expect(signIns.at(-1)).toMatchObject({
      actor_type: 'console_user',
      outcome: 'success',
      credential_kind: 'console_session',
    });
    const requests = await events('console.sign_in');
    expect(requests.at(-1)).toMatchObject({ actor_type: 'console_user', outcome: 'success' });
  });

  itOnPostgres(
    'marks the cookie Secure (and __Host-) when configured, as in production',
    async () => {
      const secure = await startTestApp(database, { CONSOLE_COOKIE_SECURE: 'true' });
      try {
        const response = await secure.inject({
          method: 'POST',
          url: '/console/api/session',
          payload: { email: 'client1@a.test', password: PASSWORD },
        });
        expect(String(response.headers['set-cookie'])).toMatch(
          /^__Host-mig_console=[^;]+; Max-Age=28800; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
        );
      } finally {
        await secure.close();
      }
    },
  );

  it('gives unknown emails, wrong passwords and missing codes one answer', async () => {
    const secret = await activate('admin1@bank.test', 'admin');
    const answers = await Promise.all([
      inject('POST', '/console/api/session', {
        payload: { email: 'nobody@bank.test', password: PASSWORD },
      }),
      inject('POST', '/console/api/session', {
        payload: { email: 'admin1@bank.test', password: 'not the password' },
      }),
      inject('POST', '/console/api/session', {
        payload: { email: 'admin1@bank.test', password: PASSWORD },
      }),
      inject('POST', '/console/api/session', {
        payload: { email: 'admin1@bank.test', password: PASSWORD, code: totpCode(secret, 5) },
      }),
    ]);
    expect(new Set(answers.map((answer) => `${answer.statusCode} ${answer.body}`)).size).toBe(1);
    expect(answers[0].statusCode).toBe(401);
    expect(answers[0].json().code).toBe('SIGN_IN_FAILED');
    expect(answers[0].headers['set-cookie']).toBeUndefined();
    const reasons = (await events('console.sign_in'))
      .filter((event) => event.outcome === 'failure')
      .map((event) => (event.detail as { reason: string }).reason);
    expect(reasons).toEqual(
      expect.arrayContaining(['unknown_user', 'wrong_password', 'wrong_code']),
    );
  });

  it('requires a second factor of admins and auditors at enrolment, and accepts a code only once', async () => {
    const invitation = await app
      .get(ConsoleUsersService)
      .invite({ email: 'auditor1@bank.test', role: 'auditor' }, SYSTEM_ACTOR);
    const secret: string = (
      await inject('POST', '/console/api/invitations/lookup', {
        payload: { token: invitation.token },
      })
    ).json().totp.secret;
    const withoutCode = await inject('POST', '/console/api/invitations/accept', {
      payload: { token: invitation.token, password: PASSWORD },
    });
    expect(withoutCode.statusCode).toBe(400);
    expect(withoutCode.json().code).toBe('TOTP_CODE_INVALID');
    const accepted = await inject('POST', '/console/api/invitations/accept', {
      payload: { token: invitation.token, password: PASSWORD, code: totpCode(secret) },
    });
    expect(accepted.statusCode).toBe(200);
    expect(
      (
        await inject('POST', '/console/api/invitations/accept', {
          payload: { token: invitation.token, password: PASSWORD, code: totpCode(secret) },
        })
      ).statusCode,
    ).toBe(400);

    // The enrolment used this step's code: it cannot sign in; the next step's can, once.
    expect(
      (
        await inject('POST', '/console/api/session', {
          payload: { email: 'auditor1@bank.test', password: PASSWORD, code: totpCode(secret) },
        })
      ).statusCode,
    ).toBe(401);
    const next = totpCode(secret, 1);
    expect(
      (
        await inject('POST', '/console/api/session', {
          payload: { email: 'auditor1@bank.test', password: PASSWORD, code: next },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await inject('POST', '/console/api/session', {
          payload: { email: 'auditor1@bank.test', password: PASSWORD, code: next },
        })
      ).statusCode,
    ).toBe(401);
  });

  it('refuses weak passwords at enrolment', async () => {
    const invitation = await app
      .get(ConsoleUsersService)
      .invite({ email: 'weak@a.test', role: 'client', clientIds: [clientA] }, SYSTEM_ACTOR);
    const response = await inject('POST', '/console/api/invitations/accept', {
      payload: { token: invitation.token, password: 'short' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('WEAK_PASSWORD');
    expect(response.body).not.toContain('short');
  });

  it('ends a session at sign-out: the same cookie is refused afterwards, and the sign-out is audited', async () => {
    const signed = await signIn('client1@a.test');
    expect((await inject('GET', '/console/api/session', { signed })).statusCode).toBe(200);
    const out = await inject('DELETE', '/console/api/session', { signed });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await inject('GET', '/console/api/session', { signed })).statusCode).toBe(401);
    expect((await events('console_user.sign_out')).at(-1)).toMatchObject({
      actor_type: 'console_user',
      outcome: 'success',
    });
  });

  it('ends a session after the idle timeout and after the absolute timeout', async () => {
    const idle = await signIn('client1@a.test');
    const absolute = await signIn('client1@a.test');
    const [idleId] = await sql(
      'SELECT id FROM console_session WHERE ended_at IS NULL ORDER BY created_at DESC OFFSET 1 LIMIT 1',
    );
    const [absoluteId] = await sql(
      'SELECT id FROM console_session WHERE ended_at IS NULL ORDER BY created_at DESC LIMIT 1',
    );
    await sql(
      "UPDATE console_session SET last_seen_at = now() - interval '16 minutes' WHERE id = $1",
      [idleId.id],
    );
    await sql("UPDATE console_session SET expires_at = now() - interval '1 second' WHERE id = $1", [
      absoluteId.id,
    ]);
    expect((await inject('GET', '/console/api/session', { signed: idle })).statusCode).toBe(401);
    expect((await inject('GET', '/console/api/session', { signed: absolute })).statusCode).toBe(
      401,
    );
    const ended = await sql(
      'SELECT id, end_reason FROM console_session WHERE id = ANY($1::uuid[])',
      [[idleId.id, absoluteId.id]],
    );
    expect(Object.fromEntries(ended.map((row) => [row.id, row.end_reason]))).toEqual({
      [String(idleId.id)]: 'idle',
      [String(absoluteId.id)]: 'expired',
    });
    const reasons = (await events('console_user.session_end')).map(
      (event) => (event.detail as { reason: string }).reason,
    );
    expect(reasons).toEqual(expect.arrayContaining(['idle', 'expired']));
  });

  // One character changed; a fixed replacement would be no change at all whenever the token
  // already ends in it (1 time in 16 for an HMAC in base64url).
  const tampered = (token: string) => token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');

  it('refuses state-changing calls without the CSRF token or from another site, with the uniform 401', async () => {
    const signed = await signIn('client1@a.test');
    const before = (
      await inject('GET', `/console/api/client/${clientA}/credentials`, { signed })
    ).json().items.length;
    const attempts = await Promise.all([
      inject('POST', `/console/api/client/${clientA}/credentials`, {
        signed,
        csrf: false,
        payload: { kind: 'api_key' },
      }),
      inject('POST', `/console/api/client/${clientA}/credentials`, {
        signed,
        csrf: false,
        headers: { 'x-csrf-token': tampered(signed.csrf) },
        payload: { kind: 'api_key' },
      }),
      inject('POST', `/console/api/client/${clientA}/credentials`, {
        signed,
        headers: { 'sec-fetch-site': 'cross-site' },
        payload: { kind: 'api_key' },
      }),
      inject('POST', `/console/api/client/${clientA}/credentials`, {
        payload: { kind: 'api_key' },
      }),
    ]);
    for (const attempt of attempts) {
      expect(attempt.statusCode).toBe(401);
      expect(attempt.json()).toEqual({
        status: 401,
        code: 'UNAUTHENTICATED',
        message: 'Request not authenticated due to missing, invalid, or expired credentials.',
      });
    }
    expect(
      (await inject('GET', `/console/api/client/${clientA}/credentials`, { signed })).json().items
        .length,
    ).toBe(before);
    const crossSiteSignIn = await inject('POST', '/console/api/session', {
      headers: { 'sec-fetch-site': 'cross-site' },
      payload: { email: 'client1@a.test', password: PASSWORD },
    });
    expect(crossSiteSignIn.statusCode).toBe(403);
  });

  it('enforces roles on every console API and page, and keeps a client user to their own client', async () => {
    const client = await signIn('client1@a.test');
    await activate('auditor2@bank.test', 'auditor');
    const auditor = await signIn('auditor2@bank.test');
    const admin = await adminSession();

    const expectations: [Signed, 'GET' | 'POST', string, number][] = [
      [client, 'GET', '/console/api/admin/clients', 403],
      [client, 'POST', '/console/api/admin/users', 403],
      [client, 'GET', '/console/api/audit/events', 403],
      [client, 'GET', `/console/api/client/${clientB}`, 404],
      [client, 'GET', `/console/api/client/${clientB}/calls`, 404],
      [client, 'POST', `/console/api/client/${clientB}/credentials`, 404],
      [client, 'GET', `/console/api/client/${clientA}`, 200],
      [auditor, 'GET', '/console/api/admin/clients', 403],
      [auditor, 'POST', '/console/api/audit/integrity/runs', 202],
      [auditor, 'GET', `/console/api/client/${clientA}`, 403],
      [auditor, 'GET', '/console/api/audit/events', 200],
      [admin, 'GET', '/console/api/audit/events', 200],
      [admin, 'GET', `/console/api/client/${clientA}`, 403],
      [admin, 'GET', '/console/api/admin/users', 200],
    ];
    for (const [signed, method, url, status] of expectations) {
      const payload =
        method !== 'POST'
          ? undefined
          : url.endsWith('/credentials')
            ? { kind: 'api_key' }
            : url.endsWith('/users')
              ? { email: 'x@y.test', role: 'auditor' }
              : {};
      const response = await inject(method, url, { signed, payload });
      expect(`${method} ${url} → ${response.statusCode}`).toBe(`${method} ${url} → ${status}`);
    }
    // The admin API takes admin keys only, never a console session: a signed-in user is refused with 403.
    expect((await inject('GET', '/admin/v1/clients', { signed: admin })).statusCode).toBe(403);

    // Pages: a signed-in user of another role gets 403; nobody signed in gets the shell (it shows the sign-in form).
    const page = (signed: Signed | undefined, url: string) =>
      app.inject({ method: 'GET', url, headers: signed ? { cookie: signed.cookie } : {} });
    expect((await page(client, '/console/admin/users')).statusCode).toBe(403);
    expect((await page(auditor, '/console/admin/clients')).statusCode).toBe(403);
    expect((await page(admin, '/console/client')).statusCode).toBe(403);
    const shell = await page(undefined, '/console/admin/clients');
    expect(shell.statusCode).toBe(200);
    expect(shell.headers['content-security-policy']).toContain("script-src 'self'");
    expect(shell.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(shell.body).toContain('<div id="root">');
    expect((await page(undefined, '/console/api/nothing-here')).statusCode).toBe(404);
    expect((await page(undefined, '/console/assets/missing.js')).statusCode).toBe(404);
  });

  it('records a console change with the same event as the API, the console user as actor', async () => {
    const signed = await signIn('client1@a.test');
    const listed = (
      await inject('GET', `/console/api/client/${clientA}/credentials`, { signed })
    ).json().items;
    const apiKey = listed.find(
      (item: { kind: string; status: string }) =>
        item.kind === 'api_key' && item.status === 'active',
    );
    const rotated = await inject(
      'POST',
      `/console/api/client/${clientA}/credentials/${apiKey.id}/rotate`,
      { signed, payload: { gracePeriodSeconds: 60 } },
    );
    expect(rotated.statusCode).toBe(200);
    const [user] = await sql("SELECT id FROM console_user WHERE email = 'client1@a.test'");
    const rotation = (await events('credential.rotate')).at(-1)!;
    expect(rotation).toMatchObject({
      actor_type: 'console_user',
      actor_id: user.id,
      outcome: 'success',
    });
    expect(rotation.detail).toMatchObject({
      kind: 'api_key',
      replaced: [apiKey.id],
      gracePeriodSeconds: 60,
    });
    const request = (await events('console.client.credentials.rotate')).at(-1)!;
    expect(request).toMatchObject({
      actor_type: 'console_user',
      actor_id: user.id,
      credential_kind: 'console_session',
    });
    // The secret appears in the answer only: in no audit row.
    const secret: string = rotated.json().secret;
    expect(
      (
        await sql('SELECT count(*)::int AS n FROM audit_event WHERE detail::text LIKE $1', [
          `%${secret.slice(10, 30)}%`,
        ])
      )[0].n,
    ).toBe(0);
  });

  it('locks an account after CONSOLE_LOCKOUT_THRESHOLD failures, audits the lock, and an admin can unlock it', async () => {
    await activate('locked@a.test', 'client', [clientA]);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect(
        (
          await inject('POST', '/console/api/session', {
            payload: { email: 'locked@a.test', password: 'wrong wrong wrong' },
          })
        ).statusCode,
      ).toBe(401);
    }
    expect(
      (
        await inject('POST', '/console/api/session', {
          payload: { email: 'locked@a.test', password: PASSWORD },
        })
      ).statusCode,
    ).toBe(401);
    const [user] = await sql(
      "SELECT id, locked_until FROM console_user WHERE email = 'locked@a.test'",
    );
    expect(user.locked_until).not.toBeNull();
    const lock = (await events('console_user.lock')).find(
      (event) => (event.detail as { userId: string }).userId === user.id,
    );
    expect(lock).toMatchObject({
      actor_type: 'system',
      outcome: 'success',
      detail: { failedAttempts: 5 },
    });

    const admin = await adminSession();
    expect(
      (
        await inject('POST', `/console/api/admin/users/${String(user.id)}/unlock`, {
          signed: admin,
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await inject('POST', '/console/api/session', {
          payload: { email: 'locked@a.test', password: PASSWORD },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('ends the sessions of a disabled user at once', async () => {
    const signed = await signIn('client1@a.test');
    const admin = await adminSession();
    const [user] = await sql("SELECT id FROM console_user WHERE email = 'client1@a.test'");
    expect(
      (
        await inject('POST', `/console/api/admin/users/${String(user.id)}/disable`, {
          signed: admin,
        })
      ).statusCode,
    ).toBe(200);
    expect((await inject('GET', '/console/api/session', { signed })).statusCode).toBe(401);
    expect(
      (
        await inject('POST', '/console/api/session', {
          payload: { email: 'client1@a.test', password: PASSWORD },
        })
      ).statusCode,
    ).toBe(401);
    expect(
      (
        await inject('POST', `/console/api/admin/users/${String(user.id)}/enable`, {
          signed: admin,
        })
      ).statusCode,
    ).toBe(200);
  });
});
