import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ClientProduct } from '../../src/common/auth/caller.js';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { ProofService } from '../../src/modules/verification/proof.service.js';
import { apiKeyHeaders, createTestClient } from '../support/credentials-factory.js';

export interface Reply {
  statusCode: number;
  body: string;
  json<T = unknown>(): T;
}

/** The seed's verify body, with overrides. */
export function verifyBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    mobileNumber: '+962791234567',
    encryptedMobileNumber: 'BASE64_ENCRYPTED_BLOB_FROM_SDK',
    operatorId: 'ZAIN_JO',
    serviceType: 'LOGIN',
    ...overrides,
  };
}

/** Drives the Authmatech flow of one gateway instance through HTTP (`inject`). */
export class VerificationKit {
  constructor(readonly app: NestFastifyApplication) {}

  client(
    environment: 'SANDBOX' | 'LIVE' = 'SANDBOX',
    products?: ClientProduct[],
  ): Promise<CreatedClient> {
    return createTestClient(this.app, { environment, products, rateLimitPerMinute: 100_000 });
  }

  async sdkToken(client: CreatedClient): Promise<string> {
    const reply = await this.app.inject({
      method: 'POST',
      url: '/v1/api/sdk/token',
      headers: apiKeyHeaders(client),
    });
    if (reply.statusCode !== 200) throw new Error(`sdk token: ${reply.statusCode} ${reply.body}`);
    return reply.json<{ data: { sdkToken: string } }>().data.sdkToken;
  }

  async enrich(
    client: CreatedClient,
    options: {
      operatorId?: string;
      sandboxMsisdn?: string;
      headers?: Record<string, string>;
      remoteAddress?: string;
    } = {},
  ): Promise<Reply> {
    const token = await this.sdkToken(client);
    return this.app.inject({
      method: 'GET',
      url: `/v1/he/${options.operatorId ?? 'ZAIN_JO'}`,
      remoteAddress: options.remoteAddress,
      headers: {
        'x-sdk-token': token,
        'x-client-id': client.clientId,
        ...(options.sandboxMsisdn !== undefined && { 'x-sandbox-msisdn': options.sandboxMsisdn }),
        ...options.headers,
      },
    });
  }

  /** A proof through the sandbox header (SANDBOX clients). */
  async proof(
    client: CreatedClient,
    number = '+962791234567',
    operatorId = 'ZAIN_JO',
  ): Promise<{ proof: string; sdkSessionId: string }> {
    const reply = await this.enrich(client, { operatorId, sandboxMsisdn: number });
    if (reply.statusCode !== 200) throw new Error(`enrichment: ${reply.statusCode} ${reply.body}`);
    const data = reply.json<{ data: { authmatechCode: string; sdkSessionId: string } }>().data;
    return { proof: data.authmatechCode, sdkSessionId: data.sdkSessionId };
  }

  /** A proof sealed directly (as enrichment would for a LIVE client on a real network). */
  async sealedProof(
    clientId: string,
    number = '+962791234567',
    operator = 'ZAIN_JO',
    issuedAt = new Date(),
    ttlSeconds = 300,
  ): Promise<string> {
    const sealed = await this.app
      .get(ProofService)
      .seal({ number, operator, clientId, sessionId: 'sess-direct' }, issuedAt, ttlSeconds);
    return sealed.proof;
  }

  verify(client: CreatedClient, body: Record<string, unknown>, query = ''): Promise<Reply> {
    return this.app.inject({
      method: 'POST',
      url: `/v1/api/verify${query}`,
      headers: apiKeyHeaders(client),
      payload: body,
    });
  }
}

export function warningOf(reply: Reply): {
  validNumber: boolean;
  code: string | null;
  type: string;
} {
  const body = reply.json<{
    data: { validNumber: boolean };
    messages: { code: string | null; type: string }[];
  }>();
  return {
    validNumber: body.data.validNumber,
    code: body.messages[0].code,
    type: body.messages[0].type,
  };
}
