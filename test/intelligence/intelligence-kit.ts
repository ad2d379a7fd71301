import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ClientProduct } from '../../src/common/auth/caller.js';
import { PrismaService } from '../../src/common/database/prisma.service.js';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { apiKeyHeaders, createTestClient } from '../support/credentials-factory.js';
import { VerificationKit, type Reply } from '../verification/verification-kit.js';

export type Product = 'trust' | 'shield' | 'detect';
const PATHS: Record<Product, string> = {
  trust: '/v1/api/trust/score',
  shield: '/v1/api/shield/assess',
  detect: '/v1/api/detect/analyze',
};

export interface ShieldData {
  decision: string;
  riskScore: number;
  riskLevel: string;
  reasonCodes: string[];
  sdkVerified: boolean;
  deviceConsistencyLevel: string;
  operatorConsistencyLevel: string;
  transactionId: string;
}

export interface AssessmentAuditRow {
  client_id: string;
  action: string;
  service_type: string | null;
  operator_id: string | null;
  phone_hash: string | null;
  phone_masked: string | null;
  verdict: {
    transactionId: string;
    decision: string;
    score: number;
    policyVersion: number;
    factors: string[];
    rules?: string[];
  } | null;
  http_status: number;
  error_code: string | null;
  detail: Record<string, unknown> | null;
  row: string;
}

/** Drives Trust, Shield and Detect, and the silent verification before them, through HTTP. */
export class IntelligenceKit {
  readonly verification: VerificationKit;

  constructor(readonly app: NestFastifyApplication) {
    this.verification = new VerificationKit(app);
  }

  client(
    environment: 'SANDBOX' | 'LIVE' = 'SANDBOX',
    products?: ClientProduct[],
  ): Promise<CreatedClient> {
    return createTestClient(this.app, { environment, products, rateLimitPerMinute: 100_000 });
  }

  /** POSTs to a product with a correlation id the audit event can be found by. */
  async assess(
    client: CreatedClient,
    product: Product,
    body: Record<string, unknown>,
    target = this.app,
  ): Promise<Reply & { correlationId: string }> {
    const correlationId = `intel-${randomUUID()}`;
    const reply = await target.inject({
      method: 'POST',
      url: PATHS[product],
      headers: { ...apiKeyHeaders(client), 'x-correlator': correlationId },
      payload: body,
    });
    return Object.assign(reply, { correlationId });
  }

  async shield(
    client: CreatedClient,
    body: Record<string, unknown>,
    target = this.app,
  ): Promise<ShieldData> {
    const reply = await this.assess(client, 'shield', body, target);
    if (reply.statusCode !== 200) throw new Error(`shield: ${reply.statusCode} ${reply.body}`);
    return reply.json<{ data: ShieldData }>().data;
  }

  /** Enrichment (sandbox header), the SDK's session report with a device, then verify: a silent verification. */
  async silentVerification(
    client: CreatedClient,
    number: string,
    options: { operatorId?: string; deviceIdHash?: string; claimed?: string } = {},
  ): Promise<{ sdkSessionId: string; validNumber: boolean }> {
    const operatorId = options.operatorId ?? 'SANDBOX_NL';
    const { proof, sdkSessionId } = await this.verification.proof(client, number, operatorId);
    const token = await this.verification.sdkToken(client);
    const session = await this.app.inject({
      method: 'POST',
      url: '/v1/api/sdk/session',
      headers: { 'x-sdk-token': token, 'x-client-id': client.clientId },
      payload: {
        sdkSessionId,
        mnoId: operatorId,
        authmatechCodePresent: true,
        deviceContext: {
          deviceIdHash: options.deviceIdHash ?? 'device-hash-0001',
          platform: 'android',
        },
      },
    });
    if (session.statusCode !== 200)
      throw new Error(`sdk session: ${session.statusCode} ${session.body}`);
    const verify = await this.verification.verify(client, {
      mobileNumber: options.claimed ?? number,
      encryptedMobileNumber: proof,
      operatorId,
      serviceType: 'LOGIN',
      sdkSessionId,
    });
    if (verify.statusCode !== 200) throw new Error(`verify: ${verify.statusCode} ${verify.body}`);
    return {
      sdkSessionId,
      validNumber: verify.json<{ data: { validNumber: boolean } }>().data.validNumber,
    };
  }

  /** The audit events of one request, with the whole row as text (to look for identifiers in clear). */
  auditOf(correlationId: string): Promise<AssessmentAuditRow[]> {
    return this.app.get(PrismaService).client.$queryRawUnsafe<AssessmentAuditRow[]>(
      `SELECT client_id, action, service_type, operator_id, phone_hash, phone_masked, verdict, http_status, error_code, detail, row_to_json(e)::text AS row
         FROM audit_event e WHERE correlation_id = $1`,
      correlationId,
    );
  }

  /** Stored assessments of a client, as text rows. */
  assessmentsOf(
    clientId: string,
  ): Promise<{ transaction_id: string; decision: string; row: string }[]> {
    return this.app
      .get(PrismaService)
      .client.$queryRawUnsafe(
        `SELECT transaction_id, decision, row_to_json(a)::text AS row FROM assessment a WHERE client_id = $1 ORDER BY created_at`,
        clientId,
      );
  }
}
