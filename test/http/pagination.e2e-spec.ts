import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  apiKeyHeaders,
  createTestAdminKey,
  createTestClient,
} from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Every list answers `{items, nextCursor}` for `limit` and `cursor`, the same way. */
describe('Pagination', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let admin: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database);
    admin = { authorization: `Bearer ${(await createTestAdminKey(app)).key}` };
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const get = async <T>(
    url: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: T }> => {
    const response = await app.inject({ method: 'GET', url, headers });
    return { status: response.statusCode, body: response.json<T>() };
  };

  /** Follows nextCursor to the end; answers the pages' items in order. */
  async function walk<T>(
    url: string,
    headers: Record<string, string>,
    unwrap: (body: unknown) => Page<T> = (body) => body as Page<T>,
    from: string | null = null,
  ): Promise<{ items: T[]; pages: number }> {
    const items: T[] = [];
    let cursor = from;
    let pages = 0;
    do {
      const separator = url.includes('?') ? '&' : '?';
      const response: { status: number; body: unknown } = await get(
        `${url}${cursor ? `${separator}cursor=${cursor}` : ''}`,
        headers,
      );
      expect(response.status).toBe(200);
      const page = unwrap(response.body);
      expect(Object.keys(page).sort()).toEqual(['items', 'nextCursor']);
      items.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 100);
    return { items, pages };
  }

  it('pages the clients oldest first, each exactly once, while new ones are added', async () => {
    const created: string[] = [];
    for (let index = 0; index < 5; index += 1)
      created.push((await createTestClient(app, { name: `page ${index}` })).clientId);
    const first = await get<Page<{ clientId: string }>>('/admin/v1/clients?limit=2', admin);
    expect(first.body.items).toHaveLength(2);
    // A client created between two pages appears at the end, without shifting earlier pages.
    const late = (await createTestClient(app, { name: 'late' })).clientId;
    const { items } = await walk<{ clientId: string }>(
      '/admin/v1/clients?limit=2',
      admin,
      undefined,
      first.body.nextCursor,
    );
    const all = [...first.body.items, ...items].map((client) => client.clientId);
    expect(new Set(all).size).toBe(all.length);
    expect(all.filter((id) => [...created, late].includes(id))).toEqual([...created, late]);
  });

  it("pages a client's credentials and the admin keys", async () => {
    const client = await createTestClient(app);
    const credentials = await walk<{ kind: string }>(
      `/admin/v1/clients/${client.clientId}/credentials?limit=1`,
      admin,
    );
    expect(credentials.pages).toBe(3);
    expect(credentials.items.map((item) => item.kind).sort()).toEqual([
      'api_key',
      'client_secret',
      'jwt_key',
    ]);
    await createTestAdminKey(app, 'auditor');
    const keys = await walk<{ kind: string }>('/admin/v1/admin-keys?limit=1', admin);
    expect(keys.pages).toBeGreaterThanOrEqual(2);
    expect(new Set(keys.items.map((item) => item.kind))).toEqual(new Set(['admin_key']));
  });

  it('pages the operators by id', async () => {
    const { items, pages } = await walk<{ id: string }>('/admin/v1/operators?limit=2', admin);
    const ids = items.map((operator) => operator.id);
    expect(pages).toBeGreaterThan(1);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('ZAIN_JO');
  });

  it("pages a client's balance history newest first, and a cursor never reaches another client's entries", async () => {
    const owner = await createTestClient(app, { environment: 'LIVE' });
    const other = await createTestClient(app, { environment: 'LIVE' });
    for (const credits of [10, 20, 30]) {
      const topUp = await app.inject({
        method: 'POST',
        url: `/admin/v1/clients/${owner.clientId}/balance/top-up`,
        headers: { ...admin, 'content-type': 'application/json' },
        payload: { credits },
      });
      expect(topUp.statusCode).toBe(200);
    }
    const unwrap = (body: unknown): Page<{ change: number }> =>
      (body as { data: Page<{ change: number }> }).data;
    const history = await walk<{ change: number }>(
      '/v1/api/me/balance-history?limit=2',
      apiKeyHeaders(owner),
      unwrap,
    );
    expect(history.items.map((entry) => entry.change)).toEqual([30, 20, 10]);
    expect(history.pages).toBe(2);
    const firstPage = await get<{ data: Page<unknown> }>(
      '/v1/api/me/balance-history?limit=1',
      apiKeyHeaders(owner),
    );
    const borrowed = await get<{ data: Page<unknown> }>(
      `/v1/api/me/balance-history?cursor=${firstPage.body.data.nextCursor}`,
      apiKeyHeaders(other),
    );
    expect(borrowed).toEqual({
      status: 200,
      body: expect.objectContaining({ data: { items: [], nextCursor: null } }),
    });
  });

  it.each([
    ['not base64url', '%21%21'],
    ['another shape', Buffer.from(JSON.stringify({ a: 1 })).toString('base64url')],
    ['a bad date', Buffer.from(JSON.stringify(['not-a-date', 'x'])).toString('base64url')],
  ])('refuses a cursor that is %s with 400 in the contract envelope', async (_, cursor) => {
    const adminList = await get<Record<string, unknown>>(
      `/admin/v1/clients?cursor=${cursor}`,
      admin,
    );
    expect(adminList).toEqual({
      status: 400,
      body: { status: 400, code: 'INVALID_ARGUMENT', message: expect.any(String) },
    });
    const client = await createTestClient(app);
    const portal = await get<{ messages: { code: string }[] }>(
      `/v1/api/me/balance-history?cursor=${cursor}`,
      apiKeyHeaders(client),
    );
    expect([portal.status, portal.body.messages[0].code]).toEqual([400, 'VALIDATION_ERROR']);
  });

  it('refuses a limit outside 1–500', async () => {
    for (const limit of ['0', '501', 'x']) {
      expect((await get(`/admin/v1/operators?limit=${limit}`, admin)).status).toBe(400);
    }
  });
});
