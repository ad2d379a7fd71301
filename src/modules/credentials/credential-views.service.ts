import { Injectable } from '@nestjs/common';
import { pageOf, type Page } from '../../common/http/pagination.js';
import {
  byCreation,
  pageKeyOf,
  toClientView,
  toCredentialView,
  type ClientView,
  type CredentialView,
} from './credential-views.js';
import { clientNotFound } from './credentials.errors.js';
import { CredentialsRepository } from './credentials.repository.js';

/** What admins, the console and other modules read about clients and credentials (never secrets). */
@Injectable()
export class CredentialViewsService {
  constructor(private readonly repository: CredentialsRepository) {}

  async findClient(clientId: string): Promise<ClientView | undefined> {
    const client = await this.repository.findClientById(clientId);
    return client ? toClientView(client) : undefined;
  }

  async getClient(clientId: string): Promise<ClientView> {
    const client = await this.findClient(clientId);
    if (!client) throw clientNotFound();
    return client;
  }

  async listClients(limit: number, cursor?: string): Promise<Page<ClientView>> {
    return pageOf(
      await this.repository.listClients(limit + 1, pageKeyOf(cursor)),
      limit,
      toClientView,
      byCreation,
    );
  }

  async listCredentials(
    clientId: string,
    limit: number,
    cursor?: string,
  ): Promise<Page<CredentialView>> {
    await this.getClient(clientId);
    const rows = await this.repository.listCredentialsOfClient(
      clientId,
      limit + 1,
      pageKeyOf(cursor),
    );
    return pageOf(rows, limit, toCredentialView, byCreation);
  }

  async listAdminKeys(limit: number, cursor?: string): Promise<Page<CredentialView>> {
    return pageOf(
      await this.repository.listAdminKeys(limit + 1, pageKeyOf(cursor)),
      limit,
      toCredentialView,
      byCreation,
    );
  }
}
