import { Injectable } from '@nestjs/common';
import type { ClientEnvironment, ClientProduct } from '../../common/auth/caller.js';
import { Environment } from '../../common/config/environment.js';
import { checkAllowedOrigins } from './allowed-origins.js';
import { BrowserOrigins } from './browser-origins.service.js';
import {
  CredentialAudit,
  eventBy,
  SYSTEM_ACTOR,
  type Actor,
  type Answering,
} from './credential-audit.js';
import { CredentialCache } from './credential-cache.js';
import { generateClientId } from './credential-format.js';
import { CredentialIssuanceService } from './credential-issuance.service.js';
import {
  KIND_FROM_DB,
  toClientView,
  type ClientStatusName,
  type ClientView,
  type CreatedClient,
} from './credential-views.js';
import { clientNotFound } from './credentials.errors.js';
import { CredentialsRepository } from './credentials.repository.js';

/**
 * Clients (tenants): created with their first API key, client secret and JWT key, and changed by
 * admins. Each change runs in one transaction with its audit event.
 */
@Injectable()
export class ClientManagementService {
  constructor(
    private readonly repository: CredentialsRepository,
    private readonly issuance: CredentialIssuanceService,
    private readonly audit: CredentialAudit,
    private readonly environment: Environment,
    private readonly cache: CredentialCache,
    private readonly browserOrigins: BrowserOrigins,
  ) {}

  async createClient(
    input: {
      name: string;
      environment: ClientEnvironment;
      products: ClientProduct[];
      rateLimitPerMinute?: number;
      allowedOrigins?: string[];
    },
    actor: Actor = SYSTEM_ACTOR,
    answering?: Answering<{ created: CreatedClient; client: ClientView }>,
  ): Promise<CreatedClient> {
    const allowedOrigins = checkAllowedOrigins(input.allowedOrigins ?? [], input.environment);
    const created = await this.repository.transaction(async (tx) => {
      await this.audit.claim(answering, tx);
      const client = await this.repository.createClient(
        {
          id: generateClientId(),
          name: input.name,
          environment: input.environment,
          products: [...new Set(input.products)],
          rateLimitPerMinute:
            input.rateLimitPerMinute ?? this.environment.DEFAULT_CLIENT_RATE_LIMIT_PER_MINUTE,
          allowedOrigins,
        },
        tx,
      );
      const apiKey = await this.issuance.issueInTx(tx, client, 'API_KEY');
      const clientSecret = await this.issuance.issueInTx(tx, client, 'CLIENT_SECRET');
      const jwtKey = await this.issuance.issueInTx(tx, client, 'JWT_KEY');
      const result: CreatedClient = {
        clientId: client.id,
        apiKey: apiKey.secret,
        clientSecret: clientSecret.secret,
        jwtKeyId: jwtKey.row.id,
        jwtSecret: jwtKey.secret,
      };
      await this.audit.recordAnswered(
        eventBy(actor, 'client.create', 'success', {
          clientId: client.id,
          detail: {
            environment: client.environment,
            products: client.products,
            ...(allowedOrigins.length > 0 && { allowedOrigins }),
            credentials: [apiKey, clientSecret, jwtKey].map((issued) => ({
              kind: KIND_FROM_DB[issued.row.kind],
              id: issued.row.id,
              fingerprint: issued.row.fingerprint,
            })),
          },
        }),
        tx,
        answering,
        { created: result, client: toClientView(client) },
      );
      return result;
    });
    if (allowedOrigins.length > 0) this.browserOrigins.invalidate();
    return created;
  }

  async updateClient(
    clientId: string,
    changes: {
      name?: string;
      products?: ClientProduct[];
      status?: ClientStatusName;
      rateLimitPerMinute?: number;
      allowedOrigins?: string[];
    },
    actor: Actor,
  ): Promise<ClientView> {
    const updated = await this.repository.transaction(async (tx) => {
      const existing = await this.repository.findClientById(clientId, tx);
      if (!existing) throw clientNotFound();
      const allowedOrigins =
        changes.allowedOrigins && checkAllowedOrigins(changes.allowedOrigins, existing.environment);
      const client = await this.repository.updateClient(
        clientId,
        {
          name: changes.name,
          products: changes.products ? [...new Set(changes.products)] : undefined,
          status:
            changes.status === undefined
              ? undefined
              : changes.status === 'active'
                ? 'ACTIVE'
                : 'SUSPENDED',
          rateLimitPerMinute: changes.rateLimitPerMinute,
          allowedOrigins,
        },
        tx,
      );
      const changed = Object.keys(changes).filter(
        (key) => changes[key as keyof typeof changes] !== undefined,
      );
      // Origins are public facts about the client's pages, and who allowed which is what an auditor asks.
      await this.audit.record(
        eventBy(actor, 'client.update', 'success', {
          clientId,
          detail: { changed, ...(allowedOrigins && { allowedOrigins }) },
        }),
        tx,
      );
      return client;
    });
    this.cache.clear();
    this.browserOrigins.invalidate();
    return toClientView(updated);
  }
}
