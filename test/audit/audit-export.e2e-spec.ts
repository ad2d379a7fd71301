import http from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { parse } from 'csv-parse/sync';
import { createTestAdminKey } from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';
import { EXPORT_FIELDS } from '../../src/modules/audit/audit.service.js';
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
    const csv = await call(app, {
      url: '/admin/v1/audit/export?format=csv&action=export.probe',
      headers: bearer(adminKey),
    });
    expect(csv.status).toBe(200);
    const [header] = csv.body.split('\n');
    expect(header).toBe(EXPORT_FIELDS.map((field) => `"${field}"`).join(','));
    expect(csv.body).toContain('"agent ""quoted"", with comma\nand newline"');
    expect(csv.body).toContain('"{""note"":""=HYPERLINK(1)""}"');

    const ndjson = await call(app, {
      url: '/admin/v1/audit/export?format=ndjson&action=export.probe',
      headers: bearer(adminKey),
    });
    const lines = ndjson.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({
      schema: expect.any(String),
      fields: expect.arrayContaining(['id', 'hash']),
    });
    expect(lines.slice(1)).toEqual([
      expect.objectContaining({
        id: '1000000001',
        action: 'export.probe',
        detail: { note: '=HYPERLINK(1)' },
      }),
    ]);
    expect(
      (await call(app, { url: '/admin/v1/audit/export?format=xml', headers: bearer(adminKey) }))
        .status,
    ).toBe(400);
  });

  it('is safe in every locale: every cell quoted, no formula trigger after any separator, masked numbers readable', async () => {
    const agents = [
      "x;=cmd|' /C calc'!A0;",
      '@SUM(1+1)*cmd|',
      '\t=1+1',
      '\r-2+3',
      'ok,+1;  =2',
      'first line\n=HYPERLINK("http://x")',
      '-',
    ];
    await withOwner(database, (owner) =>
      owner.query(
        `INSERT INTO audit_event (id, occurred_at, actor_type, action, contract, outcome, phone_masked, user_agent, detail, prev_hash, hash)
         SELECT 1100000000 + n, now(), 'anonymous', 'export.locale', 'authmatech', 'failure', '+*********03', agent,
                jsonb_build_object('note', 'a;=b,@c'), repeat('0', 64), repeat('1', 64)
           FROM unnest($1::text[]) WITH ORDINALITY AS t(agent, n)`,
        [agents],
      ),
    );
    const csv = await call(app, {
      url: '/admin/v1/audit/export?format=csv&action=export.locale',
      headers: bearer(adminKey),
    });
    expect(csv.status).toBe(200);

    // Read as a `,` locale does, honouring quotes: one record per event, every field as written.
    const records = parse<Record<string, string>>(csv.body, { delimiter: ',', columns: true });
    expect(records).toHaveLength(agents.length);
    expect(new Set(records.map((record) => record.phoneMasked))).toEqual(new Set(['+*********03']));
    expect(records.map((record) => record.userAgent)).toContain("x;'=cmd|' /C calc'!A0;");
    // Every cell quoted: each line of the file is `"…","…"` (fields hold no raw quotes here).
    for (const line of csv.body.trim().split(/\r?\n(?=")/)) expect(line).toMatch(/^"[^]*"$/);

    // Read with each separator, with quotes honoured where the parser can and ignored (the worst
    // case: a paste, a naive importer), every cell is free of a leading trigger.
    const cells: string[] = [];
    for (const delimiter of [',', ';']) {
      for (const quote of ['"', false] as const) {
        let rows: string[][];
        try {
          rows = parse(csv.body, {
            delimiter,
            quote,
            relax_column_count: true,
            relax_quotes: true,
            skip_empty_lines: true,
          });
        } catch {
          continue; // `;` with quotes honoured: a `,`-separated quoted file is not readable that way at all.
        }
        // Ignoring quotes, a reader may still drop the one that opens a cell.
        cells.push(...rows.flat().map((cell) => (quote ? cell : cell.replace(/^"/, ''))));
      }
    }
    expect(cells.length).toBeGreaterThan(agents.length * EXPORT_FIELDS.length);
    const dangerous = cells.filter(
      (cell) => /^ *[=+\-@\t\r]/.test(cell) && !/^\+\*{9}03"?$/.test(cell),
    );
    expect(dangerous).toEqual([]);
  });

  it(`streams ${ROWS} events with bounded memory`, async () => {
    await withOwner(database, (owner) =>
      owner
        .query(
          `INSERT INTO audit_event (id, occurred_at, correlation_id, client_id, actor_type, action, contract, outcome, verdict, http_status, latency_ms, user_agent, detail, prev_hash, hash)
         SELECT 2000000000 + n, now() - n * interval '1 second', 'bulk-' || n, 'cli_bulk', 'client', 'bulk.verify', 'authmatech', 'success',
                '{"validNumber": true}', 200, n % 100, 'bulk-agent', jsonb_build_object('padding', repeat('p', 600)), repeat('0', 64), repeat('1', 64)
           FROM generate_series(1, $1) AS n`,
          [ROWS],
        )
        .then(() => owner.query('ANALYZE audit_event')),
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
        .get(
          {
            host: '127.0.0.1',
            port: address.port,
            path: '/admin/v1/audit/export?format=csv&action=bulk.verify',
            headers: bearer(adminKey),
          },
          (response) => {
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
          },
        )
        .on('error', reject);
    });
    expect(lines).toBe(ROWS + 1);
    expect(bytes).toBeGreaterThan(70 * 1024 * 1024);
    // The whole export is over 70 MB; streaming keeps the heap within a small, constant margin.
    expect(peak).toBeLessThan(32 * 1024 * 1024);
  }, 120_000);
});
