import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { contentDigestSql, isoTimeSql, linkHashSql } from '../../src/modules/audit/audit-chain.js';
import { AuditService } from '../../src/modules/audit/audit.service.js';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { bearer, call, seedChain, withOwner } from '../audit/audit-kit.js';
import { createTestAdminKey, createTestClient } from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI (`npm run cli`) as an operator runs it, its output piped (not a terminal). */
function cli(
  database: TestDatabase,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      'node',
      ['dist/cli.js', ...args],
      { env: { ...process.env, ...database.overrides, ...env }, maxBuffer: 512 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          stdout,
          stderr,
        });
      },
    );
  });
}

/**
 * Independent CLI runs, a few processes at a time, answered in the order given. Each run is ~2 s of
 * module loading on one core; run one after another they were most of this file's time, while
 * the other core idled. Only for runs whose order does not matter (refusals, reads).
 */
async function clis(
  database: TestDatabase,
  runs: string[][],
  env: Record<string, string> = {},
): Promise<CliRun[]> {
  const results: CliRun[] = new Array<CliRun>(runs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < runs.length) {
      const index = next++;
      results[index] = await cli(database, runs[index], env);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(runs.length, Math.max(2, availableParallelism())) }, lane),
  );
  return results;
}

/** The CLI on a pseudo-terminal (util-linux `script`): what a person at a terminal sees, stdout and stderr together. */
function cliOnTerminal(database: TestDatabase, args: string[]): Promise<CliRun> {
  const command = ['node', 'dist/cli.js', ...args]
    .map((word) => `'${word.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  return new Promise((resolve) => {
    execFile(
      'script',
      ['-qec', command, '/dev/null'],
      { env: { ...process.env, ...database.overrides, COLUMNS: '160' } },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          stdout,
          stderr,
        });
      },
    );
  });
}

/** One JSON object and nothing else on stdout. */
function onlyJson(run: CliRun): Record<string, unknown> {
  expect(run.stdout.endsWith('\n')).toBe(true);
  expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

/** A failed command: exit 1, nothing on stdout, one plain line on stderr. */
function expectOneLineError(run: CliRun, pattern: RegExp): void {
  expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toContain('\u001b[');
}

/**
 * As the owner with triggers off, the way an intruder with database rights would: rewrites the
 * event at `position` and re-links every later one, so the chain verifies on its own again.
 */
async function rewriteChainFrom(database: TestDatabase, position: number): Promise<void> {
  await withOwner(database, async (client) => {
    await client.query('BEGIN');
    await client.query('SET LOCAL session_replication_role = replica');
    const head = Number(
      (
        await client.query<{ position: string }>(
          'SELECT position::text AS position FROM audit_chain_head',
        )
      ).rows[0].position,
    );
    await client.query(`UPDATE audit_event SET detail = '{"rewritten": true}' WHERE id = $1`, [
      position,
    ]);
    for (let id = position; id <= head; id += 1) {
      await client.query(
        'UPDATE audit_event e SET prev_hash = (SELECT p.hash FROM audit_event p WHERE p.id = e.id - 1) WHERE e.id = $1',
        [id],
      );
      await client.query(
        `UPDATE audit_event e SET hash = ${linkHashSql('e.prev_hash', 'e.id', isoTimeSql('e.occurred_at'), contentDigestSql('e'))} WHERE e.id = $1`,
        [id],
      );
    }
    await client.query(
      'UPDATE audit_chain_head SET hash = (SELECT hash FROM audit_event WHERE id = $1)',
      [head],
    );
    await client.query('COMMIT');
  });
}

describeOnPostgres('CLI parity for auditors and operators (while the gateway runs)', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let folder: string;
  let auditorKey: string;
  let adminKey: string;
  let alpha: CreatedClient;
  let beta: CreatedClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database);
    folder = await mkdtemp(path.join(tmpdir(), 'mig-cli-parity-'));
    auditorKey = (await createTestAdminKey(app, 'auditor')).key;
    adminKey = (await createTestAdminKey(app, 'admin')).key;
    alpha = await createTestClient(app, { name: 'Alpha bank' });
    beta = await createTestClient(app, { name: 'Beta bank' });
    const audit = app.get(AuditService);
    for (let index = 0; index < 30; index += 1) {
      await audit.record({
        action: 'cli.probe',
        contract: 'authmatech',
        actorType: 'client',
        clientId: index % 2 === 0 ? alpha.clientId : beta.clientId,
        outcome: index % 3 === 0 ? 'failure' : 'success',
        verdict: { validNumber: index % 2 === 0 },
        userAgent: index === 4 ? 'agent "quoted", with comma\nand =formula' : 'cli-test/1.0',
        detail: { index },
      });
    }
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  describe('audit:search', () => {
    it('answers the page the admin API answers for the same filters, and pages on with the cursor', async () => {
      const filters = [
        '--action',
        'cli.probe',
        '--client-id',
        alpha.clientId,
        '--outcome',
        'success',
        '--verdict',
        'validNumber:true',
      ];
      const first = await cli(database, ['audit:search', ...filters, '--limit', '4', '--json']);
      expect(first.code).toBe(0);
      const page = onlyJson(first) as {
        items: { id: string; clientId: string; outcome: string }[];
        nextCursor: string | null;
      };
      const http = await call(app, {
        url: `/admin/v1/audit/events?action=cli.probe&clientId=${alpha.clientId}&outcome=success&verdict=validNumber:true&limit=4`,
        headers: bearer(auditorKey),
      });
      expect(http.status).toBe(200);
      expect(page).toEqual(http.json());
      expect(page.items).toHaveLength(4);
      expect(
        page.items.every((item) => item.clientId === alpha.clientId && item.outcome === 'success'),
      ).toBe(true);

      const second = onlyJson(
        await cli(database, [
          'audit:search',
          ...filters,
          '--limit',
          '4',
          '--cursor',
          page.nextCursor!,
          '--json',
        ]),
      ) as typeof page;
      // 15 events of alpha, 5 of them failures: 10 match; the second page goes on where the first stopped.
      expect(second.items).toHaveLength(4);
      expect(Number(second.items[0].id)).toBeLessThan(Number(page.items[3].id));
    });

    it('prints a table for people, and audits the read like the admin API does', async () => {
      const run = await cli(database, [
        'audit:search',
        '--action',
        'cli.probe',
        '--outcome',
        'failure',
        '--limit',
        '3',
      ]);
      expect(run.code).toBe(0);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^ID\s+OCCURRED AT\s+ACTION\s+CONTRACT\s+OUTCOME/);
      expect(
        lines
          .slice(1, 4)
          .every((line) => /^\d+\s+\S+Z\s+cli\.probe\s+authmatech\s+failure/.test(line)),
      ).toBe(true);
      expect(lines[4]).toMatch(/^3 events; older ones: --cursor \S+$/);
      expect(run.stdout).not.toContain('\u001b[');

      const reads = await withOwner(
        database,
        async (client) =>
          (
            await client.query<{
              actor_id: string;
              detail: { query: Record<string, unknown>; returned: number };
            }>(
              "SELECT actor_id, detail FROM audit_event WHERE action = 'audit.events.list' AND actor_type = 'system' AND detail->'query'->>'outcome' = 'failure'",
            )
          ).rows,
      );
      expect(reads).toEqual([
        {
          actor_id: 'cli',
          detail: expect.objectContaining({
            returned: 3,
            query: expect.objectContaining({ action: 'cli.probe', outcome: 'failure', limit: 3 }),
          }),
        },
      ]);
    });

    it('refuses what the admin API refuses, in one line, without echoing a phone number', async () => {
      const [from, contract, limit, cursor, phone] = await clis(database, [
        ['audit:search', '--from', 'yesterday'],
        ['audit:search', '--contract', 'smtp', '--json'],
        ['audit:search', '--limit', '501'],
        ['audit:search', '--cursor', 'not-a-cursor'],
        ['audit:search', '--phone-number', '+9627912x4567'],
      ]);
      expectOneLineError(from, /^Invalid --from: .*ISO 8601/);
      expectOneLineError(contract, /^Invalid --contract:/);
      expectOneLineError(limit, /^Invalid --limit:/);
      expectOneLineError(cursor, /cursor/i);
      expectOneLineError(phone, /^Invalid --phone-number:/);
      expect(phone.stderr).not.toContain('9627912x4567');
    });
  });

  describe('audit:export', () => {
    it('writes the same CSV and NDJSON as the HTTP export, to a file or to stdout', async () => {
      const httpCsv = await call(app, {
        url: '/admin/v1/audit/export?format=csv&action=cli.probe',
        headers: bearer(auditorKey),
      });
      expect(httpCsv.status).toBe(200);
      const httpNdjson = await call(app, {
        url: '/admin/v1/audit/export?format=ndjson&action=cli.probe',
        headers: bearer(auditorKey),
      });
      const csvFile = path.join(folder, 'trail.csv');
      const [toFile, toStdout, ndjson] = await clis(database, [
        ['audit:export', '--format', 'csv', '--action', 'cli.probe', '--out', csvFile, '--json'],
        ['audit:export', '--format', 'csv', '--action', 'cli.probe'],
        ['audit:export', '--format', 'ndjson', '--action', 'cli.probe'],
      ]);
      expect(toFile.code).toBe(0);
      expect(onlyJson(toFile)).toEqual({ format: 'csv', rows: 30, out: csvFile });
      expect(await readFile(csvFile, 'utf8')).toBe(httpCsv.body);
      expect(httpCsv.body).toContain('"agent ""quoted"", with comma\nand =formula"');

      expect(toStdout).toEqual({ code: 0, stdout: httpCsv.body, stderr: '' });

      expect(ndjson.code).toBe(0);
      const lines = (body: string): Record<string, unknown>[] =>
        body
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line) as Record<string, unknown>);
      const [cliSchema, ...cliRows] = lines(ndjson.stdout);
      const [httpSchema, ...httpRows] = lines(httpNdjson.body);
      expect(cliRows).toHaveLength(30);
      expect(cliRows).toEqual(httpRows);
      expect({ ...cliSchema, exportedAt: undefined }).toEqual({
        ...httpSchema,
        exportedAt: undefined,
      });

      const exports = await withOwner(
        database,
        async (client) =>
          (
            await client.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM audit_event WHERE action = 'audit.export' AND actor_id = 'cli'",
            )
          ).rows[0].n,
      );
      expect(exports).toBe(3);
    });

    it('keeps memory flat on a large trail: a heap far smaller than the export is enough', async () => {
      // 120 000 events of 2 KB each: 260 MB of CSV through a 144 MB heap (the CLI alone needs ~100 MB of it).
      await withOwner(database, (owner) =>
        owner.query(`INSERT INTO audit_event (id, occurred_at, actor_type, action, contract, outcome, detail, prev_hash, hash)
          SELECT 2000000000 + n, now() - n * interval '1 millisecond', 'client', 'cli.bulk', 'authmatech', 'success', jsonb_build_object('pad', repeat('x', 2000)), repeat('0', 64), repeat('1', 64)
            FROM generate_series(1, 120000) AS n`),
      );
      const file = path.join(folder, 'bulk.csv');
      const run = await cli(
        database,
        ['audit:export', '--format', 'csv', '--action', 'cli.bulk', '--out', file, '--json'],
        { NODE_OPTIONS: '--max-old-space-size=144' },
      );
      expect(run.stderr).toBe('');
      expect(onlyJson(run)).toEqual({ format: 'csv', rows: 120_000, out: file });
      let lines = 0;
      for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines += 1;
      }
      expect(lines).toBe(120_001);
      await rm(file);
    }, 240_000);

    it('refuses --json without --out, an unknown format and a bad filter, in one line', async () => {
      const [noOut, format, to] = await clis(database, [
        ['audit:export', '--format', 'csv', '--json'],
        ['audit:export', '--format', 'xml'],
        ['audit:export', '--format', 'csv', '--to', 'soon'],
      ]);
      expectOneLineError(noOut, /--json needs --out/);
      expectOneLineError(format, /--format/);
      expectOneLineError(to, /^Invalid --to:/);
    });
  });

  describe('client:list and key:list', () => {
    it("lists clients and a client's credentials with ids, state, dates and fingerprints, never a secret", async () => {
      const [clientsRun, table, keysRun, human, adminsRun] = await clis(database, [
        ['client:list', '--json'],
        ['client:list'],
        ['key:list', '--client', alpha.clientId, '--json'],
        ['key:list', '--client', alpha.clientId, '--kind', 'api_key'],
        ['key:list', '--admin', '--json'],
      ]);
      const clients = onlyJson(clientsRun) as {
        items: { clientId: string; name: string }[];
        nextCursor: string | null;
      };
      expect(clients.items.map((client) => client.clientId)).toEqual(
        expect.arrayContaining([alpha.clientId, beta.clientId]),
      );
      expect(table.stdout).toMatch(
        new RegExp(`^${alpha.clientId}\\s+Alpha bank\\s+SANDBOX\\s+active`, 'm'),
      );

      const keys = onlyJson(keysRun) as {
        clientId: string;
        items: { id: string; kind: string; status: string; fingerprint: string }[];
      };
      expect(keys.clientId).toBe(alpha.clientId);
      expect(keys.items.map((key) => key.kind).sort()).toEqual([
        'api_key',
        'client_secret',
        'jwt_key',
      ]);
      expect(keys.items.find((key) => key.kind === 'jwt_key')?.id).toBe(alpha.jwtKeyId);
      const http = await call(app, {
        url: `/admin/v1/clients/${alpha.clientId}/credentials`,
        headers: bearer(adminKey),
      });
      expect(keys.items).toEqual((http.json() as { items: unknown[] }).items);

      expect(human.stdout.trimEnd().split('\n')).toEqual([
        expect.stringMatching(/^ID\s+KIND\s+STATUS\s+FINGERPRINT\s+CREATED AT\s+EXPIRES AT/),
        expect.stringMatching(/^\S{36}\s+api_key\s+active\s+[0-9a-f]{16}\s/),
      ]);
      const admins = onlyJson(adminsRun) as { items: { kind: string; role: string }[] };
      expect(admins.items.map((key) => key.role).sort()).toEqual(['admin', 'auditor']);

      for (const output of [clients, keys, admins, table.stdout, human.stdout].map((value) =>
        JSON.stringify(value),
      )) {
        for (const secret of [
          alpha.apiKey,
          alpha.clientSecret,
          alpha.jwtSecret,
          beta.apiKey,
          auditorKey,
          adminKey,
        ])
          expect(output).not.toContain(secret);
      }
    });

    it('refuses an unknown client and a missing or doubled choice, in one line', async () => {
      const [nobody, neither, kind] = await clis(database, [
        ['key:list', '--client', 'cli_nobody', '--json'],
        ['key:list'],
        ['key:list', '--client', alpha.clientId, '--kind', 'password'],
      ]);
      expectOneLineError(nobody, /client does not exist/i);
      expectOneLineError(neither, /either --client <clientId> or --admin/);
      expectOneLineError(kind, /--kind/);
    });
  });

  describe('key:revoke', () => {
    const apiKeyOf = async (client: CreatedClient): Promise<string> =>
      (
        onlyJson(
          await cli(database, [
            'key:list',
            '--client',
            client.clientId,
            '--kind',
            'api_key',
            '--json',
          ]),
        ) as { items: { id: string }[] }
      ).items[0].id;
    const revokeEvents = (credentialId: string) =>
      withOwner(
        database,
        async (client) =>
          (
            await client.query<Record<string, unknown>>(
              `SELECT action, contract, actor_type, actor_id, client_id, credential_kind, credential_fingerprint, outcome
             FROM audit_event WHERE action = 'credential.revoke' AND credential_fingerprint = (SELECT fingerprint FROM credential WHERE id = $1::uuid)`,
              [credentialId],
            )
          ).rows,
      );

    it("refuses another client's key, an unknown id and a pasted secret clearly, and changes nothing", async () => {
      const alphaKey = await apiKeyOf(alpha);
      const [otherClient, unknown, pasted, neither] = await clis(database, [
        ['key:revoke', alphaKey, '--client', beta.clientId],
        [
          'key:revoke',
          '00000000-0000-4000-8000-000000000000',
          '--client',
          alpha.clientId,
          '--json',
        ],
        ['key:revoke', alpha.apiKey, '--client', alpha.clientId],
        ['key:revoke', alphaKey],
      ]);
      expectOneLineError(
        otherClient,
        new RegExp(
          `^Credential ${alphaKey} does not exist for client ${beta.clientId} \\(unknown id, or a credential of another client\\)`,
        ),
      );
      expectOneLineError(unknown, /does not exist for client/);
      expectOneLineError(pasted, /^That credential id does not exist/);
      expect(pasted.stderr).not.toContain(alpha.apiKey);
      expectOneLineError(neither, /either --client <clientId> or --admin/);
      expect(await revokeEvents(alphaKey)).toEqual([]);
      const still = (
        onlyJson(
          await cli(database, [
            'key:list',
            '--client',
            alpha.clientId,
            '--kind',
            'api_key',
            '--json',
          ]),
        ) as { items: { status: string }[] }
      ).items;
      expect(still.map((key) => key.status)).toEqual(['active']);
    });

    it("revokes with the admin API's own method: the same audit event, and the running gateway stops accepting the key", async () => {
      const alphaKey = await apiKeyOf(alpha);
      const betaKey = await apiKeyOf(beta);
      const products = async (): Promise<number> =>
        (
          await call(app, {
            url: '/v1/api/me/products',
            headers: { 'x-client-id': alpha.clientId, 'x-api-key': alpha.apiKey },
          })
        ).status;
      expect(await products()).toBe(200);
      const revoked = await cli(database, [
        'key:revoke',
        alphaKey,
        '--client',
        alpha.clientId,
        '--json',
      ]);
      expect(revoked.code).toBe(0);
      expect(onlyJson(revoked)).toEqual({
        credential: expect.objectContaining({
          id: alphaKey,
          kind: 'api_key',
          status: 'revoked',
          endedAt: expect.any(String),
        }),
      });
      const http = await call(app, {
        method: 'POST',
        url: `/admin/v1/clients/${beta.clientId}/credentials/${betaKey}/revoke`,
        headers: bearer(adminKey),
      });
      expect(http.status).toBe(200);

      const [fromCli] = await revokeEvents(alphaKey);
      const [fromApi] = await revokeEvents(betaKey);
      expect(fromCli).toEqual({
        ...fromApi,
        actor_type: 'system',
        actor_id: 'cli',
        client_id: alpha.clientId,
        credential_fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
      });
      expect(fromApi).toMatchObject({
        action: 'credential.revoke',
        contract: 'admin',
        actor_type: 'admin',
        client_id: beta.clientId,
        credential_kind: 'api_key',
      });

      // The running gateway learns of it within its credential cache time (at most 5 s).
      const deadline = Date.now() + 10_000;
      let status = 0;
      while (Date.now() < deadline) {
        status = await products();
        if (status !== 200) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(status).toBe(401);

      expectOneLineError(
        await cli(database, ['key:revoke', alphaKey, '--client', alpha.clientId]),
        /is no longer active \(already revoked or expired\); nothing changed/,
      );
    });
  });

  describe('audit:verify --anchor', () => {
    it('passes on an untouched trail, fails after a rewrite that verifies on its own, and after a cut', async () => {
      const anchored = await cli(database, ['audit:anchor', '--json']);
      const anchor = onlyJson(anchored) as { position: string; hash: string };
      const anchorFile = path.join(folder, 'anchor.json');
      await writeFile(anchorFile, anchored.stdout);

      const passing = await cli(database, ['audit:verify', '--anchor', anchorFile, '--json']);
      expect(passing.code).toBe(0);
      expect(onlyJson(passing)).toMatchObject({
        ok: true,
        chainOk: true,
        anchor: { ok: true, position: anchor.position, hash: anchor.hash, problem: null },
      });
      const human = await cli(database, ['audit:verify', '--anchor', anchorFile]);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(
        /^Audit chain intact: .*\nAnchor matches: The chain has the anchor's hash at position \d+\.\n$/,
      );
      // The human line of audit:anchor is an anchor too.
      const lineFile = path.join(folder, 'anchor.txt');
      await writeFile(lineFile, (await cli(database, ['audit:anchor'])).stdout);
      expect((await cli(database, ['audit:verify', '--anchor', lineFile])).code).toBe(0);

      await rewriteChainFrom(database, Number(anchor.position));
      const rewritten = await cli(database, ['audit:verify', '--anchor', anchorFile, '--json']);
      expect(rewritten.code).toBe(2);
      expect(onlyJson(rewritten)).toMatchObject({
        ok: false,
        chainOk: true,
        anchor: { ok: false, problem: 'hash_mismatch', position: anchor.position },
      });
      const rewrittenLine = await cli(database, ['audit:verify', '--anchor', anchorFile]);
      expect(rewrittenLine.code).toBe(2);
      expect(rewrittenLine.stdout.split('\n')[1]).toMatch(
        new RegExp(
          `^Anchor does NOT match \\(hash_mismatch\\): The event at the anchor's position ${anchor.position} has hash [0-9a-f]{64}, not the anchor's ${anchor.hash}: the chain was rewritten\\.$`,
        ),
      );

      // Cut back to before the anchor, head moved with it: the shorter chain verifies on its own.
      const before = Number(anchor.position) - 1;
      await withOwner(database, async (client) => {
        await client.query('BEGIN');
        await client.query('SET LOCAL session_replication_role = replica');
        await client.query('DELETE FROM audit_event WHERE id > $1 AND id < 2000000000', [before]);
        await client.query(
          'UPDATE audit_chain_head SET position = $1, hash = (SELECT hash FROM audit_event WHERE id = $1)',
          [before],
        );
        await client.query('COMMIT');
      });
      const cut = await cli(database, ['audit:verify', '--anchor', anchorFile, '--json']);
      expect(cut.code).toBe(2);
      expect(onlyJson(cut)).toMatchObject({
        ok: false,
        anchor: {
          ok: false,
          problem: 'missing',
          message: expect.stringContaining(`beyond the chain head`),
        },
      });
    }, 60_000);

    it('refuses a missing or malformed anchor file in one line, before checking anything', async () => {
      const bad = path.join(folder, 'bad.json');
      await writeFile(bad, JSON.stringify({ position: '12', hash: 'abc' }));
      const [missing, malformed] = await clis(database, [
        ['audit:verify', '--anchor', path.join(folder, 'nowhere.json')],
        ['audit:verify', '--anchor', bad, '--json'],
      ]);
      expectOneLineError(missing, /^Cannot read the anchor file .*ENOENT/);
      expectOneLineError(malformed, /is not an anchor/);
    });
  });
});

describeOnPostgres('CLI progress bars and retention', () => {
  let database: TestDatabase;
  let folder: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    folder = await mkdtemp(path.join(tmpdir(), 'mig-cli-progress-'));
    // Two months long past retention, before anything else is written: retention has something to drop.
    await withOwner(database, async (client) => {
      await client.query(`SELECT audit_ensure_partitions('2024-01-01T00:00:00Z', 2)`);
      await seedChain(client, 40, (index) =>
        new Date(Date.UTC(2024, index < 20 ? 0 : 1, 1 + (index % 20), 12)).toISOString(),
      );
    });
  });

  afterAll(async () => {
    await database?.drop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('never draws a bar when piped or with --json, and every command answers one JSON object', async () => {
    const anchorFile = path.join(folder, 'anchor-40.json');
    const anchored = await cli(database, ['audit:anchor', '--json']);
    expect(onlyJson(anchored)).toMatchObject({ position: '40' });
    await writeFile(anchorFile, anchored.stdout);

    const commands = [
      ['audit:verify'],
      ['audit:verify', '--json'],
      ['audit:export', '--format', 'ndjson', '--out', path.join(folder, 'piped.ndjson')],
      ['audit:export', '--format', 'csv', '--out', path.join(folder, 'piped.csv'), '--json'],
      ['audit:search', '--json'],
      ['client:list', '--json'],
      ['key:list', '--admin', '--json'],
      ['audit:retention-policy', '--json'],
    ];
    const runs = await clis(database, commands);
    for (const [index, args] of commands.entries()) {
      const run = runs[index];
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
      if (args.includes('--json')) onlyJson(run);
    }
  });

  it('draws events, events/s and an ETA on a terminal for verify, export and retention; an anchor dropped by retention still matches', async () => {
    const anchorAt = async (position: string): Promise<string> => {
      const file = path.join(folder, `anchor-at-${position}.json`);
      const hash = await withOwner(
        database,
        async (client) =>
          (
            await client.query<{ hash: string }>('SELECT hash FROM audit_event WHERE id = $1', [
              position,
            ])
          ).rows[0].hash,
      );
      await writeFile(file, JSON.stringify({ position, hash, readAt: new Date().toISOString() }));
      return file;
    };
    const lastDropped = await anchorAt('40');
    const insideDropped = await anchorAt('20');

    const [verify, exported] = await Promise.all([
      cliOnTerminal(database, ['audit:verify']),
      cliOnTerminal(database, [
        'audit:export',
        '--format',
        'csv',
        '--out',
        path.join(folder, 'tty.csv'),
      ]),
    ]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(
      /audit:verify \[[= ]*\] \d+% \| \d+\/\d+ events \| \d+ events\/s \| ETA /,
    );
    expect(verify.stdout).toMatch(/Audit chain intact/);

    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(
      /audit:export \[[= ]*\] \d+% \| \d+\/\d+ events \| \d+ events\/s \| ETA /,
    );

    const retention = await cliOnTerminal(database, ['audit:retention']);
    expect(retention.code).toBe(0);
    expect(retention.stdout).toMatch(
      /audit:retention \[[= ]*\] \d+% \| \d+\/40 events \| \d+ events\/s \| ETA /,
    );
    expect(retention.stdout).toMatch(
      /Dropped audit_event_y2024m01, audit_event_y2024m02 .*through chain position 40/,
    );

    // Position 40 lives on in the retention event's hash; position 20 cannot be compared any more.
    const [matched, gone] = await clis(database, [
      ['audit:verify', '--anchor', lastDropped, '--json'],
      ['audit:verify', '--anchor', insideDropped, '--json'],
    ]);
    expect(matched.code).toBe(0);
    expect(onlyJson(matched)).toMatchObject({ ok: true, anchor: { ok: true, position: '40' } });
    expect(gone.code).toBe(2);
    expect(onlyJson(gone)).toMatchObject({
      ok: false,
      chainOk: true,
      anchor: {
        problem: 'missing',
        message: expect.stringMatching(/dropped by retention .*keep a newer anchor/),
      },
    });

    const retentionJson = await cli(database, ['audit:retention', '--json']);
    expect(retentionJson.stderr).toBe('');
    expect(onlyJson(retentionJson)).toMatchObject({ skipped: false, droppedPartitions: [] });
  }, 60_000);
});

describe('CLI on the embedded database while the gateway holds it', () => {
  it('refuses in one line that names the process holding it and the fix', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'mig-cli-embedded-'));
    try {
      const dataDir = path.join(folder, 'pglite');
      // The lock file a running gateway leaves beside its data folder; this test's own process stands in for it.
      await writeFile(`${dataDir}.lock`, String(process.pid));
      const database = await createTestDatabase();
      try {
        const env = { DATABASE_URL: '', EMBEDDED_DATA_DIR: dataDir };
        for (const run of await clis(
          database,
          [['key:list', '--admin', '--json'], ['audit:search'], ['audit:verify', '--json']],
          env,
        )) {
          expectOneLineError(
            run,
            new RegExp(
              `^The embedded database in .* is in use by process ${process.pid}\\. Stop that process first .*or set DATABASE_URL`,
            ),
          );
        }
      } finally {
        await database.drop();
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
