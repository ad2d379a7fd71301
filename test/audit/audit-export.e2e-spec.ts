import http from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestAdminKey } from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, describeOnPostgres, type TestDatabase } from '../support/test-database.js';
import { bearer, call, withOwner } from './audit-kit.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ROWS = 100_000;

describeOnPostgres('audit export', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let adminKey: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database);
    adminKey = (await createTestAdminKey(app, 'auditor')).key;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('escapes CSV properly, neutralises formulas, and starts NDJSON with a schema line', async () => {
    await withOwner(database, (owner) =>
      owner.query(`INSERT INTO audit_event (id, occurred_at, actor_type, action, contract, outcome, user_agent, detail, prev_hash, hash)
        VALUES (1000000001, now(), 'client', 'export.probe', 'authmatech', 'success', 'agent "quoted", with comma
and newline', '{"note":"=HYPERLINK(1)"}', repeat('0', 64), repeat('1', 64))`),
    );
    const csv = await call(app, { url: '/admin/v1/audit/export?format=csv&action=export.probe', headers: bearer(adminKey) });
    expect(csv.status).toBe(200);
    const [header] = csv.body.split('\n');
    expect(header).toBe('id,occurredAt,correlationId,clientId,credentialKind,credentialFingerprint,actorType,actorId,action,contract,serviceType,operatorId,phoneHash,phoneMasked,outcome,verdict,httpStatus,errorCode,latencyMs,sourceIp,userAgent,upstream,detail,prevHash,hash');
    expect(csv.body).toContain('"agent ""quoted"", with comma\nand newline"');
    expect(csv.body).toContain('"{""note"":""=HYPERLINK(1)""}"');

    const ndjson = await call(app, { url: '/admin/v1/audit/export?format=ndjson&action=export.probe', headers: bearer(adminKey) });
    const lines = ndjson.body.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ schema: expect.any(String), fields: expect.arrayContaining(['id', 'hash']) });
    expect(lines.slice(1)).toEqual([expect.objectContaining({ id: '1000000001', action: 'export.probe', detail: { note: '=HYPERLINK(1)' } })]);
    expect((await call(app, { url: '/admin/v1/audit/export?format=xml', headers: bearer(adminKey) })).status).toBe(400);
  });

  it(`streams ${ROWS} events with bounded memory`, async () => {
    await withOwner(database, (owner) =>
      owner.query(
        `INSERT INTO audit_event (id, occurred_at, correlation_id, client_id, actor_type, action, contract, outcome, verdict, http_status, latency_ms, user_agent, detail, prev_hash, hash)
         SELECT 2000000000 + n, now() - n * interval '1 second', 'bulk-' || n, 'cli_bulk', 'client', 'bulk.verify', 'authmatech', 'success',
                '{"validNumber": true}', 200, n % 100, 'bulk-agent', jsonb_build_object('padding', repeat('p', 600)), repeat('0', 64), repeat('1', 64)
           FROM generate_series(1, $1) AS n`,
        [ROWS],
      ).then(() => owner.query('ANALYZE audit_event')),
    );
    const server = await app.listen(0, '127.0.0.1');
    const address = server.address() as { port: number };
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    let bytes = 0;
    let lines = 0;
    let nextSample = 0;
    await new Promise<void>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: address.port, path: '/admin/v1/audit/export?format=csv&action=bulk.verify', headers: bearer(adminKey) }, (response) => {
          expect(response.statusCode).toBe(200);
          response.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            for (const byte of chunk) if (byte === 10) lines += 1;
            if (bytes >= nextSample) {
              nextSample += 8 * 1024 * 1024;
              gc();
              peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
            }
          });
          response.on('end', resolve);
          response.on('error', reject);
        })
        .on('error', reject);
    });
    expect(lines).toBe(ROWS + 1);
    expect(bytes).toBeGreaterThan(70 * 1024 * 1024);
    // The whole export is over 70 MB; streaming keeps the heap within a small, constant margin.
    expect(peak).toBeLessThan(32 * 1024 * 1024);
  }, 120_000);
});
