import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { OperatorSecretsService } from '../../src/modules/operators/operator-secrets.service.js';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { OperatorsService } from '../../src/modules/operators/operators.service.js';
import { createTestAdminKey } from '../support/credentials-factory.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';
import { FakeCamaraOperator } from '../sim-swap/fake-camara-operator.js';
import { PinnedClock, startSimSwapApp } from '../sim-swap/sim-swap-test-kit.js';
import { IntelligenceKit } from './intelligence-kit.js';

const MINUTE = 60_000;
// Real time, so audit events (database clock) and the pinned clock agree; tests move it forward.
const START = new Date(Math.floor(Date.now() / 1000) * 1000);

describe('Trust, Shield and Detect', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let kit: IntelligenceKit;
  let client: CreatedClient;
  const clock = new PinnedClock(START);

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startSimSwapApp(database, { clock });
    kit = new IntelligenceKit(app);
    client = await kit.client();
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  describe('sandbox table under the default policy', () => {
    it('never allows +31612345001 (SIM swapped 30 minutes ago) on TRANSACTION, answering BLOCK as a 200', async () => {
      const reply = await kit.assess(client, 'shield', {
        mobileNumber: '+31612345001',
        serviceType: 'TRANSACTION',
      });
      expect(reply.statusCode).toBe(200);
      const body = reply.json<{
        success: boolean;
        messages: { type: string }[];
        data: { decision: string; reasonCodes: string[]; transactionId: string };
      }>();
      expect(body.success).toBe(true);
      expect(body.messages[0].type).toBe('SUCCESS');
      expect(body.data.decision).toBe('BLOCK');
      expect(body.data.reasonCodes[0]).toBe('sim_swap_recent');
      expect(body.data.transactionId).toMatch(/^SH-[0-9a-f-]{36}$/);
      for (const serviceType of ['LOGIN', 'REGISTRATION', 'RESET_PASS', 'UPDATE_DETAILS']) {
        expect(
          (await kit.shield(client, { mobileNumber: '+31612345001', serviceType })).decision,
        ).not.toBe('ALLOW');
      }
    });

    it('allows +31612345007 on LOGIN with sdkVerified after a fresh silent verification on a consistent device', async () => {
      const number = '+31612345007';
      const device = {
        deviceId: 'device-hash-0007',
        isRooted: false,
        isEmulator: false,
        appIntegrityStatus: 'PASSED',
      };
      const network = {
        countryCode: 'NL',
        operator: 'SANDBOX_NL',
        connectionType: 'CELLULAR',
        ipAddress: '198.51.100.7',
      };
      // The device was seen with the number before (an earlier assessment).
      await kit.shield(client, { mobileNumber: number, device, network });
      clock.set(new Date(START.getTime() + MINUTE));
      const { sdkSessionId, validNumber } = await kit.silentVerification(client, number, {
        deviceIdHash: device.deviceId,
      });
      expect(validNumber).toBe(true);
      const data = await kit.shield(client, {
        mobileNumber: number,
        sdkSessionId,
        device,
        network,
      });
      expect(data).toEqual({
        decision: 'ALLOW',
        riskScore: 0,
        riskLevel: 'LOW',
        reasonCodes: [],
        sdkVerified: true,
        deviceConsistencyLevel: 'STABLE',
        operatorConsistencyLevel: 'STABLE',
        transactionId: expect.stringMatching(/^SH-/),
      });
    });

    it('raises MULTI_ACCOUNT in Detect when one device is used with 5 numbers within 10 minutes', async () => {
      const other = await kit.client();
      const device = { deviceId: 'device-shared-by-five' };
      let last: Record<string, unknown> = {};
      for (let index = 0; index < 5; index += 1) {
        clock.set(new Date(START.getTime() + 2 * MINUTE + index * MINUTE));
        const reply = await kit.assess(other, 'detect', {
          mobileNumber: `+3161234510${index}`,
          device,
        });
        expect(reply.statusCode).toBe(200);
        last = reply.json<{ data: Record<string, unknown> }>().data;
      }
      expect(last.anomalies).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'MULTI_ACCOUNT', observed: 5, window: '1h' }),
        ]),
      );
      expect(last.recommendedAction).not.toBe('ALLOW');
      expect(last.affectedCount).toBe(5);
      expect(
        (
          last.windowStats as Record<string, { numbersOnDevice: number; deviceAssessments: number }>
        )['10m'],
      ).toMatchObject({ numbersOnDevice: 5, deviceAssessments: 5 });
      expect(last.transactionId).toMatch(/^DE-/);
    });
  });

  describe('Trust', () => {
    it('answers the peer shape: TR- id, trust = 100 − risk, factors split by direction, breakdown and the echoed metadataId', async () => {
      clock.set(new Date(START.getTime() + 10 * MINUTE));
      const body = {
        mobileNumber: '+31612345004',
        metadataId: 'order-42',
        network: { connectionType: 'WIFI', countryCode: 'BE' },
      };
      const trust = (await kit.assess(client, 'trust', body)).json<{
        data: Record<string, unknown>;
      }>().data;
      const shield = await kit.shield(client, body);
      expect(trust).toEqual({
        transactionId: expect.stringMatching(/^TR-/),
        trustScore: 100 - shield.riskScore,
        confidence: 'MEDIUM',
        recommendation: shield.decision,
        positiveFactors: [],
        riskFactors: ['sim_swap_week', 'country_mismatch', 'connection_wifi'],
        breakdown: {
          network_score: 45,
          device_score: 70,
          sim_score: 45,
          verification_score: 70,
          behaviour_score: 70,
        },
        metadataId: 'order-42',
      });
    });
  });

  describe('products, credits and the audit trail', () => {
    it('answers 400 PRODUCT_NOT_ENABLED in the envelope to a client without the product, and lists products', async () => {
      const verifyOnly = await kit.client('SANDBOX', ['VERIFY']);
      for (const product of ['trust', 'shield', 'detect'] as const) {
        const reply = await kit.assess(verifyOnly, product, { mobileNumber: '+31612345007' });
        expect(reply.statusCode).toBe(400);
        expect(reply.json()).toMatchObject({
          success: false,
          messages: [{ type: 'FAILURE', code: 'PRODUCT_NOT_ENABLED' }],
          data: null,
        });
        expect(await kit.auditOf(reply.correlationId)).toEqual([
          expect.objectContaining({ http_status: 400, error_code: 'PRODUCT_NOT_ENABLED' }),
        ]);
      }
      const products = await app.inject({
        method: 'GET',
        url: '/v1/api/me/products',
        headers: { 'x-client-id': client.clientId, 'x-api-key': client.apiKey },
      });
      expect(products.json<{ data: { products: string[] } }>().data.products).toEqual(
        expect.arrayContaining(['TRUST', 'SHIELD', 'DETECT']),
      );
    });

    it('leaves exactly one audit event per call with policy version, factor codes and decision, and no identifier in clear', async () => {
      clock.set(new Date(START.getTime() + 11 * MINUTE));
      const reply = await kit.assess(client, 'shield', {
        mobileNumber: '+31612345002',
        serviceType: 'TRANSACTION',
        sdkSessionId: 'session-audit-1',
        device: { deviceId: 'device-id-in-clear-42' },
        network: { ipAddress: '203.0.113.77', countryCode: 'NL' },
      });
      const data = reply.json<{ data: { transactionId: string; decision: string } }>().data;
      const events = await kit.auditOf(reply.correlationId);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        client_id: client.clientId,
        action: 'shield.assess',
        service_type: 'TRANSACTION',
        operator_id: 'SANDBOX_NL',
        phone_masked: '+*********02',
        http_status: 200,
        detail: { sdkSessionId: 'session-audit-1' },
        verdict: {
          transactionId: data.transactionId,
          decision: data.decision,
          policyVersion: 0,
          factors: expect.arrayContaining(['sim_swap_recent']),
          rules: ['sim_swap_recent'],
        },
      });
      const stored = (await kit.assessmentsOf(client.clientId)).find(
        (row) => row.transaction_id === data.transactionId,
      )!;
      for (const text of [events[0].row, stored.row]) {
        expect(text).not.toContain('31612345002');
        expect(text).not.toContain('203.0.113.77');
        expect(text).not.toContain('device-id-in-clear-42');
      }
    });

    it('charges a LIVE client one credit per call in the unit of work, and refuses with 400 when none is left', async () => {
      const live = await kit.client('LIVE');
      const adminKey = (await createTestAdminKey(app)).key;
      const topUp = await app.inject({
        method: 'POST',
        url: `/admin/v1/clients/${live.clientId}/balance/top-up`,
        headers: { authorization: `Bearer ${adminKey}` },
        payload: { credits: 2 },
      });
      expect(topUp.statusCode).toBe(200);
      // A LIVE client is never answered from sandbox data: the SIM-swap status is unknown.
      const first = await kit.shield(live, { mobileNumber: '+31612345007' });
      expect(first.reasonCodes).toContain('sim_swap_unknown');
      expect((await kit.assess(live, 'detect', { mobileNumber: '+31612345007' })).statusCode).toBe(
        200,
      );
      const refused = await kit.assess(live, 'trust', { mobileNumber: '+31612345007' });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({
        success: false,
        messages: [{ code: 'INSUFFICIENT_BALANCE' }],
      });
      expect(await kit.auditOf(refused.correlationId)).toEqual([
        expect.objectContaining({
          http_status: 400,
          error_code: 'INSUFFICIENT_BALANCE',
          verdict: null,
        }),
      ]);
      // The refused call wrote no assessment; the two answered ones did, each with its ledger row.
      expect((await kit.assessmentsOf(live.clientId)).map((row) => row.transaction_id)).toEqual([
        first.transactionId,
        expect.stringMatching(/^DE-/),
      ]);
      const history = await app.inject({
        method: 'GET',
        url: '/v1/api/me/balance-history',
        headers: { 'x-client-id': live.clientId, 'x-api-key': live.apiKey },
      });
      expect(
        history
          .json<{ data: { items: { kind: string; change: number }[] } }>()
          .data.items.map((item) => `${item.kind}${item.change}`),
      ).toEqual(['ASSESSMENT-1', 'ASSESSMENT-1', 'TOP_UP2']);
    });

    it('is free for SANDBOX clients', async () => {
      const history = await app.inject({
        method: 'GET',
        url: '/v1/api/me/balance-history',
        headers: { 'x-client-id': client.clientId, 'x-api-key': client.apiKey },
      });
      expect(history.json<{ data: { items: unknown[] } }>().data.items).toEqual([]);
    });

    it('refuses an invalid body with 400 in the envelope, without echoing it', async () => {
      const reply = await kit.assess(client, 'shield', {
        mobileNumber: '0612345007',
        network: { ipAddress: 'not-an-ip-secret' },
      });
      expect(reply.statusCode).toBe(400);
      expect(reply.json()).toMatchObject({
        success: false,
        messages: [{ code: 'INVALID_MOBILE_NUMBER' }],
      });
      expect(reply.body).not.toContain('not-an-ip-secret');
      expect(reply.body).not.toContain('0612345007');
    });
  });

  describe('isolation', () => {
    it("never lets client A's history influence, or appear in, client B's assessments", async () => {
      const alice = await kit.client();
      const bob = await kit.client();
      const device = { deviceId: 'device-alice-and-bob' };
      clock.set(new Date(START.getTime() + 20 * MINUTE));
      for (let index = 0; index < 4; index += 1)
        await kit.assess(alice, 'detect', { mobileNumber: `+3161234520${index}`, device });
      const aliceSees = (
        await kit.assess(alice, 'detect', { mobileNumber: '+31612345209', device })
      ).json<{ data: { anomalies: { type: string }[]; affectedCount: number } }>().data;
      expect(aliceSees.anomalies.map((anomaly) => anomaly.type)).toContain('MULTI_ACCOUNT');

      const bobSees = (
        await kit.assess(bob, 'detect', { mobileNumber: '+31612345209', device })
      ).json<{
        data: {
          anomalies: unknown[];
          affectedCount: number;
          windowStats: Record<string, Record<string, number>>;
        };
      }>().data;
      expect(bobSees.anomalies).toEqual([]);
      expect(bobSees.affectedCount).toBe(1);
      expect(bobSees.windowStats['24h']).toMatchObject({
        numberAssessments: 1,
        deviceAssessments: 1,
        numbersOnDevice: 1,
      });
      const bobShield = await kit.shield(bob, { mobileNumber: '+31612345200', device });
      expect(bobShield.deviceConsistencyLevel).toBe('UNKNOWN');
      expect(bobShield.reasonCodes).not.toContain('multi_account');
      expect(await kit.assessmentsOf(bob.clientId)).toHaveLength(2);
    });
  });

  describe('velocity', () => {
    it('counts assessments in the 10 min, 1 h and 24 h windows of the pinned clock', async () => {
      const fast = await kit.client();
      const number = '+31612345003';
      const at = (minutes: number) => {
        clock.set(new Date(START.getTime() + 30 * MINUTE + minutes * MINUTE));
      };
      at(0);
      await kit.shield(fast, { mobileNumber: number });
      at(30);
      await kit.shield(fast, { mobileNumber: number });
      at(35);
      const stats = (await kit.assess(fast, 'detect', { mobileNumber: number })).json<{
        data: { windowStats: Record<string, { numberAssessments: number }> };
      }>().data.windowStats;
      expect([
        stats['10m'].numberAssessments,
        stats['1h'].numberAssessments,
        stats['24h'].numberAssessments,
      ]).toEqual([2, 3, 3]);
      at(34 + 24 * 60);
      const later = (await kit.assess(fast, 'detect', { mobileNumber: number })).json<{
        data: { windowStats: Record<string, { numberAssessments: number }> };
      }>().data.windowStats;
      expect(later['24h'].numberAssessments).toBe(2);
    });
  });
});

describeOnPostgres('intelligence across instances and with real operators', () => {
  let database: TestDatabase;
  let one: NestFastifyApplication;
  let two: NestFastifyApplication;
  let operator: FakeCamaraOperator;
  let client: CreatedClient;
  let kit: IntelligenceKit;

  beforeAll(async () => {
    operator = await new FakeCamaraOperator().start();
    database = await createTestDatabase();
    const environment = { SIM_SWAP_DEADLINE_MS: '300', SIM_SWAP_BREAKER_VOLUME_THRESHOLD: '10000' };
    one = await startSimSwapApp(database, { environment });
    two = await startSimSwapApp(database, { environment });
    kit = new IntelligenceKit(one);
    client = await kit.client();
    await one.get(OperatorsService).create({
      id: 'CAMARA_INTEL',
      name: 'fake CAMARA operator',
      country: 'DE',
      numberPrefixes: ['+49171'],
      adapterKind: 'CAMARA',
      settings: {
        baseUrl: operator.baseUrl,
        tokenUrl: operator.tokenUrl,
        clientId: operator.clientId,
      },
    });
    await one
      .get(OperatorSecretsService)
      .put('CAMARA_INTEL', 'clientSecret', operator.clientSecret);
  });

  afterAll(async () => {
    await one?.close();
    await two?.close();
    await database?.drop();
    await operator?.stop();
  });

  beforeEach(() => {
    operator.behaviours.clear();
  });

  it('counts velocity across two instances on one database', async () => {
    const number = '+31612345005';
    for (let index = 0; index < 3; index += 1) {
      await kit.shield(client, { mobileNumber: number }, index % 2 === 0 ? one : two);
    }
    const fromTwo = (
      await kit.assess(
        client,
        'detect',
        { mobileNumber: number, network: { ipAddress: '192.0.2.1' } },
        two,
      )
    ).json<{
      data: { windowStats: Record<string, { numberAssessments: number }> };
    }>().data;
    expect(fromTwo.windowStats['10m'].numberAssessments).toBe(4);
    const spike = await kit.shield(client, { mobileNumber: number }, one);
    expect(spike.reasonCodes).toContain('velocity_spike');
  });

  it('refuses a client without credit or without the product before it asks the operator', async () => {
    operator.behaviours.set('sim-swap/v2/retrieve-date', {
      kind: 'answer',
      status: 200,
      body: { latestSimChange: null },
    });
    operator.behaviours.set('device-swap/v1/retrieve-date', {
      kind: 'answer',
      status: 200,
      body: { latestDeviceChange: null, monitoredPeriod: 120 },
    });
    const before = operator.calls.length;
    const broke = await kit.client('LIVE');
    const refused = await kit.assess(broke, 'shield', {
      mobileNumber: '+491711234511',
      serviceType: 'TRANSACTION',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({
      success: false,
      messages: [{ code: 'INSUFFICIENT_BALANCE' }],
    });
    const withoutShield = await kit.client('SANDBOX', ['VERIFY']);
    const notEnabled = await kit.assess(withoutShield, 'shield', { mobileNumber: '+491711234511' });
    expect(notEnabled.statusCode).toBe(400);
    expect(operator.calls.length).toBe(before);
    // The refusals are still on the trail; an answered call does reach the operator.
    expect(await kit.auditOf(refused.correlationId)).toEqual([
      expect.objectContaining({ http_status: 400, error_code: 'INSUFFICIENT_BALANCE' }),
    ]);
    await kit.shield(client, { mobileNumber: '+491711234511' });
    expect(operator.calls.length).toBeGreaterThan(before);
  });

  it('asks a camara operator and uses its answer: a swap an hour ago blocks a TRANSACTION', async () => {
    const latest = new Date(Date.now() - 60 * MINUTE).toISOString().replace(/\.\d{3}Z$/, 'Z');
    operator.behaviours.set('sim-swap/v2/retrieve-date', {
      kind: 'answer',
      status: 200,
      body: { latestSimChange: latest },
    });
    operator.behaviours.set('device-swap/v1/retrieve-date', {
      kind: 'answer',
      status: 200,
      body: { latestDeviceChange: null, monitoredPeriod: 120 },
    });
    const before = operator.callsTo('sim-swap/v2/retrieve-date').length;
    const data = await kit.shield(client, {
      mobileNumber: '+491711234567',
      serviceType: 'TRANSACTION',
    });
    expect(data.decision).toBe('BLOCK');
    expect(data.reasonCodes).toContain('sim_swap_recent');
    // One lookup for this assessment (earlier tests of this file asked the same fake operator).
    expect(operator.callsTo('sim-swap/v2/retrieve-date')).toHaveLength(before + 1);
  });

  for (const [label, behaviour] of [
    [
      'failing',
      { kind: 'answer', status: 500, body: { status: 500, code: 'INTERNAL', message: 'down' } },
    ],
    ['slow', { kind: 'hang' }],
  ] as const) {
    it(`fails open on LOGIN and closed on TRANSACTION with a ${label} operator, never as "not swapped"`, async () => {
      operator.behaviours.set('sim-swap/v2/retrieve-date', behaviour);
      operator.behaviours.set('device-swap/v1/retrieve-date', behaviour);
      const started = performance.now();
      const login = await kit.assess(client, 'shield', {
        mobileNumber: '+491711234500',
        serviceType: 'LOGIN',
      });
      expect(performance.now() - started).toBeLessThan(2_000);
      const loginData = login.json<{ data: { decision: string; reasonCodes: string[] } }>().data;
      expect(loginData.reasonCodes).toContain('sim_swap_unknown');
      expect(loginData.reasonCodes).not.toContain('sim_stable');
      expect(loginData.decision).toBe('ALLOW');
      const transaction = await kit.assess(client, 'shield', {
        mobileNumber: '+491711234500',
        serviceType: 'TRANSACTION',
      });
      const transactionData = transaction.json<{ data: { decision: string } }>().data;
      expect(transactionData.decision).toBe('REVIEW');
      const [event] = await kit.auditOf(transaction.correlationId);
      expect(event.verdict).toMatchObject({
        decision: 'REVIEW',
        rules: ['sim_swap_fail_closed'],
        factors: expect.arrayContaining(['sim_swap_unknown']),
      });
    });
  }
});
