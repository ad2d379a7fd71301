import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiExcludeController, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ConsoleAuth, CurrentConsoleUser } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedConsoleUser } from '../../common/auth/caller.js';
import { AuditAction, auditFacts } from '../../common/http/audit-facts.js';
import { PageQueryDto, type Page } from '../../common/http/pagination.js';
import type { AuditRecord } from '../audit/audit-chain.js';
import { AuditService } from '../audit/audit.service.js';
import { describeQuery, toAuditQuery } from '../audit/dto/audit-query.dto.js';
import { CredentialIssuanceService } from '../credentials/credential-issuance.service.js';
import { CredentialViewsService } from '../credentials/credential-views.service.js';
import type {
  ClientView,
  CredentialView,
  IssuedCredential,
  RotationResult,
} from '../credentials/credential-views.js';
import { RotateCredentialDto } from '../credentials/dto/admin.dto.js';
import {
  BalanceService,
  type BalanceHistoryEntry,
  type BalanceView,
} from '../verification/balance.service.js';
import { consoleActor, requireOwnClient } from './console-request.js';
import {
  ClientCredentialKindDto,
  ClientHistoryQueryDto,
  ClientLedgerQueryDto,
} from './dto/console.dto.js';

/** One of the client's own calls, as the client sees it (masked number, verdict, latency). */
export interface ClientCallView {
  id: string;
  occurredAt: string;
  correlationId: string | null;
  action: string;
  serviceType: string | null;
  operatorId: string | null;
  phoneNumberMasked: string | null;
  outcome: string;
  verdict: unknown;
  httpStatus: number | null;
  errorCode: string | null;
  latencyMs: number | null;
}

function toCallView(record: AuditRecord): ClientCallView {
  return {
    id: record.id,
    occurredAt: record.occurredAt,
    correlationId: record.correlationId,
    action: record.action,
    serviceType: record.serviceType,
    operatorId: record.operatorId,
    phoneNumberMasked: record.phoneMasked,
    outcome: record.outcome,
    verdict: record.verdict,
    httpStatus: record.httpStatus,
    errorCode: record.errorCode,
    latencyMs: record.latencyMs,
  };
}

/** What the client reads about itself is not usage: portal and console reads are left out. */
const NOT_USAGE = ['portal.', 'console.'];

/**
 * What a client user does for their own client: keys (shown once), products, balance, usage and
 * their calls. The client id in the path must be one the user is bound to (otherwise 404), and
 * every read is scoped by it on the server.
 */
// The console's own API, for its pages only: not part of the published gateway API (OpenAPI).
@ApiExcludeController()
@ApiTags('console: client')
@ConsoleAuth('client')
@Controller('console/api/client/:clientId')
export class ConsoleClientController {
  constructor(
    private readonly issuance: CredentialIssuanceService,
    private readonly views: CredentialViewsService,
    private readonly balances: BalanceService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @AuditAction('console.client.read')
  async overview(
    @Param('clientId') clientId: string,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<{ client: ClientView; balance: BalanceView; charged: boolean }> {
    this.note(request, requireOwnClient(user, clientId));
    const client = await this.views.getClient(clientId);
    return {
      client,
      balance: await this.balances.balanceOf(clientId),
      charged: client.environment === 'LIVE',
    };
  }

  @Get('credentials')
  @AuditAction('console.client.credentials.list')
  listCredentials(
    @Param('clientId') clientId: string,
    @Query() query: PageQueryDto,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<Page<CredentialView>> {
    this.note(request, requireOwnClient(user, clientId));
    return this.views.listCredentials(clientId, query.limit ?? 500, query.cursor);
  }

  @Post('credentials')
  @AuditAction('console.client.credentials.issue')
  @ApiOperation({
    summary: 'Generate an API key, JWT key or client secret; the secret is in this answer only.',
  })
  issue(
    @Param('clientId') clientId: string,
    @Body() body: ClientCredentialKindDto,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<IssuedCredential> {
    this.note(request, requireOwnClient(user, clientId), { kind: body.kind });
    return this.issuance.issueCredential(clientId, body.kind, consoleActor(user, request));
  }

  @Post('credentials/:credentialId/rotate')
  @HttpCode(200)
  @AuditAction('console.client.credentials.rotate')
  @ApiOperation({
    summary: 'Issue a successor; the old credential keeps working for the grace period chosen.',
  })
  rotate(
    @Param('clientId') clientId: string,
    @Param('credentialId') credentialId: string,
    @Body() body: RotateCredentialDto,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<RotationResult> {
    this.note(request, requireOwnClient(user, clientId), {
      credentialId: credentialId.slice(0, 40),
    });
    return this.issuance.rotateCredential(
      clientId,
      credentialId,
      consoleActor(user, request),
      body.gracePeriodSeconds,
    );
  }

  @Post('credentials/:credentialId/revoke')
  @HttpCode(200)
  @AuditAction('console.client.credentials.revoke')
  async revoke(
    @Param('clientId') clientId: string,
    @Param('credentialId') credentialId: string,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<{ credential: CredentialView }> {
    this.note(request, requireOwnClient(user, clientId), {
      credentialId: credentialId.slice(0, 40),
    });
    return {
      credential: await this.issuance.revokeCredential(
        clientId,
        credentialId,
        consoleActor(user, request),
      ),
    };
  }

  @Get('balance-history')
  @AuditAction('console.client.balance_history')
  async balanceHistory(
    @Param('clientId') clientId: string,
    @Query() query: ClientLedgerQueryDto,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<{ entries: BalanceHistoryEntry[] }> {
    this.note(request, requireOwnClient(user, clientId));
    return { entries: (await this.balances.history(clientId, query.limit ?? 100)).items };
  }

  @Get('usage')
  @AuditAction('console.client.usage')
  @ApiOperation({ summary: 'The client’s calls per day and action (what the usage charts draw).' })
  async usage(
    @Param('clientId') clientId: string,
    @Query() query: ClientHistoryQueryDto,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<{
    days: { day: string; action: string; total: number; successes: number; failures: number }[];
  }> {
    this.note(request, requireOwnClient(user, clientId), { query: describeQuery(query) });
    const rows = await this.audit.usageByDayAndAction({
      ...toAuditQuery(query),
      clientId,
      excludeActionPrefixes: NOT_USAGE,
    });
    return {
      days: rows.map((row) => ({
        day: row.key ?? '',
        action: row.action ?? '',
        total: row.total,
        successes: row.successes,
        failures: row.failures,
      })),
    };
  }

  @Get('calls')
  @AuditAction('console.client.calls')
  @ApiOperation({ summary: 'The client’s own verifications and checks, newest first, filterable.' })
  async calls(
    @Param('clientId') clientId: string,
    @Query() query: ClientHistoryQueryDto,
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<{ items: ClientCallView[]; nextCursor: string | null }> {
    this.note(request, requireOwnClient(user, clientId), { query: describeQuery(query) });
    const page = await this.audit.list(
      {
        ...toAuditQuery(query),
        ...(query.action !== undefined ? { action: query.action } : {}),
        ...(query.outcome !== undefined ? { outcome: query.outcome } : {}),
        clientId,
        excludeActionPrefixes: NOT_USAGE,
      },
      query.limit ?? 50,
      query.cursor,
    );
    return { items: page.items.map(toCallView), nextCursor: page.nextCursor };
  }

  private note(
    request: FastifyRequest,
    clientId: string,
    extra: Record<string, unknown> = {},
  ): void {
    auditFacts(request).detail = { clientId, ...extra };
  }
}
