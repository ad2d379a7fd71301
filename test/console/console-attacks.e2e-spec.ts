import { randomUUID } from 'node:crypto';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AUTH_RULE } from '../../src/common/auth/auth.decorators.js';
import { IS_PUBLIC } from '../../src/common/auth/public.decorator.js';
import { ConsoleUsersService } from '../../src/modules/console/console-users.service.js';
import { ClientManagementService } from '../../src/modules/credentials/client-management.service.js';
import { CredentialViewsService } from '../../src/modules/credentials/credential-views.service.js';
import { SYSTEM_ACTOR } from '../../src/modules/credentials/credential-audit.js';
import { startGatewayProcess } from '../support/gateway-process.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, itOnPostgres, type TestDatabase } from '../support/test-database.js';
import { rowsOf, totpCode } from './console-kit.js';

const PASSWORD = 'a long enough passphrase';
type Role = 'admin' | 'auditor' | 'client';

interface Signed {
  cookie: string;
  csrf: string;
}

interface ConsoleRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  pattern: string;
  roles: Role[];
}

const UNIFORM_401 = {
  status: 401,
  code: 'UNAUTHENTICATED',
  message: 'Request not authenticated due to missing, invalid, or expired credentials.',
};

/**
 * Attacks on the console's API from outside, through HTTP: forged or missing CSRF tokens on every
 * state-changing route, every route of another role, client B's data through client A's session,
 * session fixation, and the cookie's flags in production (the real gateway with NODE_ENV=production).
 * The routes are read from the controllers, so a route added later is attacked too.
 */
describe('console under attack', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let routes: ConsoleRoute[];
  let clientA: string;
  let clientB: string;
  let credentialOfA: string;
  let credentialOfB: string;
  const sessions: Partial<Record<Role, Signed>> = {};

  const inject = (
    method: ConsoleRoute['method'],
    url: string,
    options: { signed?: Signed; csrf?: string | null; cookie?: string; payload?: object } = {},
  ) =>
    app.inject({
      method,
      url,
      headers: {
        ...(options.cookie
          ? { cookie: options.cookie }
          : options.signed
            ? { cookie: options.signed.cookie }
            : {}),
        ...(options.csrf === null
          ? {}
          : options.csrf !== undefined
            ? { 'x-csrf-token': options.csrf }
            : options.signed && method !== 'GET'
              ? { 'x-csrf-token': options.signed.csrf }
              : {}),
      },
      ...(method !== 'GET' ? { payload: options.payload ?? {} } : {}),
    });

  async function activate(
    email: string,
    role: Role,
    clientIds: string[] = [],
  ): Promise<string | undefined> {
    const invitation = await app
      .get(ConsoleUsersService)
      .invite({ email, role, clientIds }, SYSTEM_ACTOR);
    const secret: string = (
      await inject('POST', '/console/api/invitations/lookup', {
        payload: { token: invitation.token },
      })
    ).json().totp.secret;
    const withTotp = role !== 'client';
    const accepted = await inject('POST', '/console/api/invitations/accept', {
      payload: {
        token: invitation.token,
        password: PASSWORD,
        ...(withTotp ? { code: totpCode(secret) } : {}),
      },
    });
    expect(accepted.statusCode).toBe(200);
    return withTotp ? secret : undefined;
  }

  async function signIn(email: string, secret?: string, cookie?: string): Promise<Signed> {
    const response = await app.inject({
      method: 'POST',
      url: '/console/api/session',
      headers: cookie ? { cookie } : {},
      payload: { email, password: PASSWORD, ...(secret ? { code: totpCode(secret, 1) } : {}) },
    });
    expect(response.statusCode).toBe(200);
    return {
      cookie: String(response.headers['set-cookie']).split(';')[0],
      csrf: response.json().csrfToken,
    };
  }

  const sql = (statement: string, params: unknown[] = []) => rowsOf(database, statement, params);

  /** What the console's controllers declare: every route under /console/api that needs a session. */
  function consoleRoutes(): ConsoleRoute[] {
    const scanner = app.get(MetadataScanner);
    const reflector = app.get(Reflector);
    const found: ConsoleRoute[] = [];
    for (const wrapper of app.get(DiscoveryService).getControllers()) {
      const metatype = wrapper.metatype as (new (...args: unknown[]) => unknown) | undefined;
      const base = metatype && (Reflect.getMetadata(PATH_METADATA, metatype) as string | undefined);
      if (
        !metatype ||
        !wrapper.instance ||
        typeof base !== 'string' ||
        !base.startsWith('console/api')
      )
        continue;
      const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as () => unknown;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (path === undefined || method === undefined) continue;
        if (reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, metatype])) continue;
        const rule = reflector.getAllAndOverride<{ kind: string; roles: Role[] }>(AUTH_RULE, [
          handler,
          metatype,
        ]);
        expect(`${name}: ${rule?.kind}`).toBe(`${name}: console`);
        found.push({
          method: RequestMethod[method] as ConsoleRoute['method'],
          pattern: `/${[base, path].filter((part) => part && part !== '/').join('/')}`,
          roles: rule.roles,
        });
      }
    }
    return found;
  }

  /** A route's URL with its parameters filled in: client A's own ids unless told otherwise. */
  function urlOf(
    route: ConsoleRoute,
    ids: { clientId?: string; credentialId?: string } = {},
  ): string {
    return route.pattern
      .replace(':clientId', ids.clientId ?? clientA)
      .replace(':credentialId', ids.credentialId ?? credentialOfA)
      .replace(/:[A-Za-z]+/g, () => randomUUID());
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
    const credentials = app.get(CredentialViewsService);
    credentialOfA = (await credentials.listCredentials(clientA, 10)).items.find(
      (item) => item.kind === 'api_key',
    )!.id;
    credentialOfB = (await credentials.listCredentials(clientB, 10)).items.find(
      (item) => item.kind === 'api_key',
    )!.id;
    routes = consoleRoutes();

    sessions.admin = await signIn('admin@bank.test', await activate('admin@bank.test', 'admin'));
    sessions.auditor = await signIn(
      'auditor@bank.test',
      await activate('auditor@bank.test', 'auditor'),
    );
    await activate('alice@a.test', 'client', [clientA]);
    sessions.client = await signIn('alice@a.test');
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('finds the console routes to attack', () => {
    const unsafe = routes.filter((route) => route.method !== 'GET');
    expect(unsafe.length).toBeGreaterThanOrEqual(20);
    expect(routes.map((route) => `${route.method} ${route.pattern}`)).toEqual(
      expect.arrayContaining([
        'DELETE /console/api/session',
        'POST /console/api/admin/clients/:clientId/top-up',
        'POST /console/api/client/:clientId/credentials/:credentialId/rotate',
        'POST /console/api/admin/users',
      ]),
    );
  });

  it('refuses every state-changing call without the CSRF token, with a forged one, or with another session’s, and changes nothing', async () => {
    const [{ n: before }] = await sql(
      "SELECT count(*)::int AS n FROM audit_event WHERE outcome = 'success' AND actor_type = 'console_user'",
    );
    const other = sessions.auditor!;
    for (const route of routes.filter((candidate) => candidate.method !== 'GET')) {
      // The admin may call every admin route; the client user their client's routes: only the token is wrong.
      const signed = route.roles.includes('admin')
        ? sessions.admin!
        : route.roles.includes('client')
          ? sessions.client!
          : sessions.auditor!;
      const stolen = signed === other ? sessions.client! : other;
      for (const csrf of [
        null,
        '',
        'forged',
        signed.csrf.slice(0, -2),
        `${signed.csrf}x`,
        stolen.csrf,
      ]) {
        const response = await inject(route.method, urlOf(route), { signed, csrf });
        expect(
          `${route.method} ${route.pattern} [${String(csrf).slice(0, 8)}] → ${response.statusCode}`,
        ).toBe(`${route.method} ${route.pattern} [${String(csrf).slice(0, 8)}] → 401`);
        expect(response.json()).toEqual(UNIFORM_401);
      }
    }
    const [{ n: after }] = await sql(
      "SELECT count(*)::int AS n FROM audit_event WHERE outcome = 'success' AND actor_type = 'console_user'",
    );
    expect(after).toBe(before);
    // Sign-out too is a change: without the token the session stays open.
    expect(
      (await inject('GET', '/console/api/session', { signed: sessions.client })).statusCode,
    ).toBe(200);
  });

  it('answers 403 to every route of another role, the CSRF token being right', async () => {
    const checked: string[] = [];
    for (const route of routes) {
      for (const role of (['admin', 'auditor', 'client'] as const).filter(
        (candidate) => !route.roles.includes(candidate),
      )) {
        const response = await inject(route.method, urlOf(route), { signed: sessions[role] });
        expect(`${role}: ${route.method} ${route.pattern} → ${response.statusCode}`).toBe(
          `${role}: ${route.method} ${route.pattern} → 403`,
        );
        checked.push(`${role} ${route.pattern}`);
      }
    }
    // Client users are kept from every admin and audit route, admins and auditors from the client's.
    expect(
      checked.filter((entry) => entry.startsWith('client /console/api/admin')).length,
    ).toBeGreaterThanOrEqual(15);
    expect(checked).toEqual(
      expect.arrayContaining([
        'client /console/api/audit/export',
        'auditor /console/api/admin/users',
        'admin /console/api/client/:clientId/credentials',
      ]),
    );
  });

  it('answers 403 to a console session of any role on the admin API (/admin/v1), which takes admin keys only, and 401 without one', async () => {
    for (const role of ['client', 'auditor', 'admin'] as const) {
      for (const [method, url] of [
        ['GET', '/admin/v1/clients'],
        ['GET', '/admin/v1/audit/events'],
        ['POST', '/admin/v1/clients'],
      ] as const) {
        const response = await inject(method, url, {
          signed: sessions[role],
          payload: { name: 'x', products: ['VERIFY'] },
        });
        expect(`${role}: ${method} ${url} → ${response.statusCode}`).toBe(
          `${role}: ${method} ${url} → 403`,
        );
        expect(response.json()).toMatchObject({ status: 403, code: 'PERMISSION_DENIED' });
      }
    }
    // No session, an ended or made-up one: the uniform 401, as before.
    for (const cookie of [undefined, `mig_console=${'B'.repeat(43)}`]) {
      const response = await inject('GET', '/admin/v1/clients', { cookie });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual(UNIFORM_401);
    }
    // Nothing was created by the admin's session.
    expect((await sql("SELECT count(*)::int AS n FROM client WHERE name = 'x'"))[0].n).toBe(0);
  });

  it('keeps intelligence policies to admins: they list, version and change them (validated by the server, audited with the console user), others get 403', async () => {
    const base = `/console/api/admin/clients/${clientA}/policies`;
    for (const role of ['auditor', 'client'] as const) {
      for (const [method, url] of [
        ['GET', base],
        ['GET', `${base}/LOGIN/versions`],
        ['PUT', `${base}/LOGIN`],
      ] as const) {
        expect(
          `${role} ${method} ${url} → ${(await inject(method, url, { signed: sessions[role], payload: {} })).statusCode}`,
        ).toBe(`${role} ${method} ${url} → 403`);
      }
    }
    const listed = await inject('GET', base, { signed: sessions.admin });
    expect(listed.statusCode).toBe(200);
    expect(Object.keys(listed.json())).toEqual([
      'REGISTRATION',
      'LOGIN',
      'RESET_PASS',
      'UPDATE_DETAILS',
      'TRANSACTION',
    ]);
    expect(listed.json().LOGIN).toMatchObject({
      version: 0,
      createdBy: null,
      policy: { thresholds: { challenge: 40, review: 60, block: 80 } },
    });

    // Refused by the server: out-of-order thresholds, an out-of-range value, an unknown field; nothing stored.
    const refusals = [
      [
        { thresholds: { challenge: 70, review: 60, block: 80 } },
        'INVALID_POLICY',
        /challenge ≤ review ≤ block/,
      ],
      [{ base: 500 }, 'INVALID_ARGUMENT', /base must not be greater than 100/],
      [{ surprise: true }, 'INVALID_ARGUMENT', /./],
    ] as const;
    for (const [payload, code, message] of refusals) {
      const refused = await inject('PUT', `${base}/LOGIN`, { signed: sessions.admin, payload });
      expect(`${JSON.stringify(payload)} → ${refused.statusCode} ${refused.json().code}`).toBe(
        `${JSON.stringify(payload)} → 400 ${code}`,
      );
      expect(refused.json().message).toMatch(message);
    }
    expect(
      (
        await sql('SELECT count(*)::int AS n FROM intelligence_policy WHERE client_id = $1', [
          clientA,
        ])
      )[0].n,
    ).toBe(0);
    expect(
      (
        await inject('PUT', `/console/api/admin/clients/cli_doesNotExist000000000/policies/LOGIN`, {
          signed: sessions.admin,
          payload: {},
        })
      ).statusCode,
    ).toBe(404);

    const changed = await inject('PUT', `${base}/LOGIN`, {
      signed: sessions.admin,
      payload: { thresholds: { challenge: 35 } },
    });
    expect(changed.statusCode).toBe(200);
    const [admin] = await sql("SELECT id FROM console_user WHERE email = 'admin@bank.test'");
    expect(changed.json()).toMatchObject({
      serviceType: 'LOGIN',
      version: 1,
      createdBy: `console_user:${String(admin.id)}`,
      policy: { thresholds: { challenge: 35, review: 60, block: 80 } },
    });
    expect((await inject('GET', base, { signed: sessions.admin })).json().LOGIN.version).toBe(1);

    const versions = await inject('GET', `${base}/LOGIN/versions`, { signed: sessions.admin });
    expect(versions.json().items.map((item: { version: number }) => item.version)).toEqual([1, 0]);
    expect(
      (await inject('GET', `${base}/NOPE/versions`, { signed: sessions.admin })).statusCode,
    ).toBe(400);

    // The same audit action as PUT /admin/v1/…/intelligence/policies/LOGIN, the console user as actor.
    const events = await sql(
      "SELECT actor_type, actor_id, outcome, detail FROM audit_event WHERE action = 'intelligence.policy.change' ORDER BY occurred_at",
    );
    expect(events.filter((event) => event.outcome === 'success')).toEqual([
      {
        actor_type: 'console_user',
        actor_id: admin.id,
        outcome: 'success',
        detail: { clientId: clientA, serviceType: 'LOGIN', version: 1 },
      },
    ]);
  });

  it('keeps client A’s user from client B: every client route with B’s id is 404, and B’s key through A’s path too', async () => {
    const clientRoutes = routes.filter((route) => route.pattern.startsWith('/console/api/client/'));
    expect(clientRoutes.length).toBeGreaterThanOrEqual(7);
    for (const route of clientRoutes) {
      const payload = route.pattern.endsWith('/credentials')
        ? { kind: 'api_key' }
        : route.pattern.endsWith('/rotate')
          ? { gracePeriodSeconds: 0 }
          : {};
      const response = await inject(
        route.method,
        urlOf(route, { clientId: clientB, credentialId: credentialOfB }),
        { signed: sessions.client, payload },
      );
      expect(`${route.method} ${route.pattern} → ${response.statusCode}`).toBe(
        `${route.method} ${route.pattern} → 404`,
      );
      expect(response.body).not.toContain(clientB);
    }
    for (const action of ['rotate', 'revoke']) {
      const response = await inject(
        'POST',
        `/console/api/client/${clientA}/credentials/${credentialOfB}/${action}`,
        { signed: sessions.client, payload: action === 'rotate' ? { gracePeriodSeconds: 0 } : {} },
      );
      expect(response.statusCode).toBe(404);
    }
    // A client id smuggled into the query is refused, never read.
    for (const path of ['calls', 'usage']) {
      const response = await inject(
        'GET',
        `/console/api/client/${clientA}/${path}?clientId=${clientB}`,
        { signed: sessions.client },
      );
      expect(response.statusCode).toBe(400);
      expect(response.body).not.toContain(clientB);
    }
    const ofB = await app.get(CredentialViewsService).listCredentials(clientB, 10);
    expect(ofB.items.find((item) => item.id === credentialOfB)?.status).toBe('active');
    expect(ofB.items).toHaveLength(3);
  });

  it('never keeps a session id chosen before sign-in (session fixation)', async () => {
    // A token the attacker made up and planted: ignored, and a new random one is issued.
    const planted = `mig_console=${'A'.repeat(43)}`;
    const fresh = await signIn('alice@a.test', undefined, planted);
    expect(fresh.cookie).not.toBe(planted);
    expect((await inject('GET', '/console/api/session', { cookie: planted })).statusCode).toBe(401);

    // The attacker's own valid session planted in the victim's browser: the victim's sign-in ends it
    // and gets a new one, so the attacker's cookie never carries the victim's rights.
    await activate('mallory@a.test', 'client', [clientA]);
    const attacker = await signIn('mallory@a.test');
    const victim = await signIn('alice@a.test', undefined, attacker.cookie);
    expect(victim.cookie).not.toBe(attacker.cookie);
    expect(victim.csrf).not.toBe(attacker.csrf);
    expect(
      (await inject('GET', '/console/api/session', { cookie: attacker.cookie })).statusCode,
    ).toBe(401);
    const mine = await inject('GET', '/console/api/session', { signed: victim });
    expect(mine.json().user.email).toBe('alice@a.test');
    const [ended] = await sql(
      "SELECT s.end_reason FROM console_session s JOIN console_user u ON u.id = s.user_id WHERE u.email = 'mallory@a.test'",
    );
    expect(ended.end_reason).toBe('replaced');
    const ends = await sql(
      "SELECT detail FROM audit_event WHERE action = 'console_user.session_end' AND detail->>'reason' = 'replaced'",
    );
    expect(ends).toHaveLength(1);

    // Every sign-in issues a new token and CSRF token, even for the same user in the same browser.
    const again = await signIn('alice@a.test', undefined, victim.cookie);
    expect(again.cookie).not.toBe(victim.cookie);
    expect(again.csrf).not.toBe(victim.csrf);
    expect((await inject('GET', '/console/api/session', { signed: victim })).statusCode).toBe(401);
  });

  it('binds a client user to exactly their client(s) at invitation, and nobody else to any', async () => {
    const invite = (payload: object) =>
      inject('POST', '/console/api/admin/users', { signed: sessions.admin, payload });
    const [{ n: before }] = await sql('SELECT count(*)::int AS n FROM console_user');
    for (const payload of [
      { email: 'nobody1@a.test', role: 'client' },
      { email: 'nobody2@a.test', role: 'client', clientIds: [clientA, clientB] },
      { email: 'nobody3@a.test', role: 'client', clientIds: ['cli_doesNotExist000000000'] },
      { email: 'nobody4@a.test', role: 'admin', clientIds: [clientA] },
      { email: 'nobody5@a.test', role: 'auditor', clientIds: [clientB] },
    ]) {
      const response = await invite(payload);
      expect(`${JSON.stringify(payload)} → ${response.statusCode}`).toBe(
        `${JSON.stringify(payload)} → 400`,
      );
    }
    expect((await sql('SELECT count(*)::int AS n FROM console_user'))[0].n).toBe(before);
    const bound = await invite({ email: 'bob@a.test', role: 'client', clientIds: [clientA] });
    expect(bound.statusCode).toBe(201);
    expect(
      await sql(
        "SELECT b.client_id FROM console_user_client b JOIN console_user u ON u.id = b.user_id WHERE u.email = 'bob@a.test'",
      ),
    ).toEqual([{ client_id: clientA }]);
  });

  it('stores passwords as argon2id hashes, never in clear', async () => {
    const rows = await sql(
      'SELECT password_hash FROM console_user WHERE password_hash IS NOT NULL',
    );
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows)
      expect(String(row.password_hash)).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    expect(
      (
        await sql('SELECT count(*)::int AS n FROM console_user WHERE password_hash LIKE $1', [
          `%${PASSWORD}%`,
        ])
      )[0].n,
    ).toBe(0);
  });

  itOnPostgres(
    'in production (NODE_ENV=production) sets the cookie Secure, HttpOnly, SameSite=Strict under the __Host- prefix, and takes it under that name only',
    async () => {
      const gateway = await startGatewayProcess({
        ...database.overrides,
        NODE_ENV: 'production',
        LOG_LEVEL: 'info',
      });
      try {
        const response = await fetch(`${gateway.url}/console/api/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'alice@a.test', password: PASSWORD }),
        });
        expect(response.status).toBe(200);
        const setCookie = response.headers.get('set-cookie')!;
        expect(setCookie).toMatch(
          /^__Host-mig_console=[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
        );
        expect(response.headers.get('cache-control')).toBe('no-store');
        const token = setCookie.split(';')[0].split('=')[1];
        const read = (cookie: string) =>
          fetch(`${gateway.url}/console/api/session`, { headers: { cookie } }).then(
            (answer) => answer.status,
          );
        expect(await read(`__Host-mig_console=${token}`)).toBe(200);
        // A cookie without the prefix (which any subdomain or plain-HTTP page could have set) is not the session.
        expect(await read(`mig_console=${token}`)).toBe(401);
        const page = await fetch(`${gateway.url}/console/sign-in`);
        expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      } finally {
        await gateway.stop();
      }
    },
  );
});
