import { Controller, Get, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiKeyAuth, CurrentClient } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import { AuditAction, auditFacts } from '../../common/http/audit-facts.js';
import type { AuthmatechEnvelope } from '../../common/http/error-envelope.js';
import { authmatechSuccess } from '../../common/http/authmatech-envelope.js';
import { ApiAuthmatechOk } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import {
  ClientHistoryPageDto,
  UsageReportDto,
  type ClientHistoryItem,
} from './dto/audit-responses.dto.js';
import type { AuditRecord } from './audit-chain.js';
import { AuditService } from './audit.service.js';
import {
  describeQuery,
  PortalHistoryQueryDto,
  PortalUsageQueryDto,
  toAuditQuery,
} from './dto/audit-query.dto.js';

function toHistoryItem(record: AuditRecord): ClientHistoryItem {
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

/** The portal's own reads are left out of the history they show. */
const PORTAL_ACTIONS = 'portal.';

/** A client's own history (Authmatech portal). Scoped by the authenticated client id, never by a parameter. */
@ApiTags(Tags.portal)
@ApiKeyAuth()
@Controller('v1/api/me')
export class PortalController {
  constructor(private readonly audit: AuditService) {}

  @Get('verifications')
  @AuditAction('portal.verifications')
  @ApiOperation({ summary: "The client's own calls, newest first" })
  @ApiAuthmatechOk(ClientHistoryPageDto, { description: 'A page of calls.' })
  async verifications(
    @Query() query: PortalHistoryQueryDto,
    @CurrentClient() client: AuthenticatedClient,
    @Req() request: FastifyRequest,
  ): Promise<AuthmatechEnvelope<{ items: ClientHistoryItem[]; nextCursor: string | null }>> {
    auditFacts(request).detail = { query: describeQuery(query) };
    const page = await this.audit.list(
      {
        ...toAuditQuery(query),
        ...(query.action !== undefined ? { action: query.action } : {}),
        clientId: client.clientId,
        excludeActionPrefixes: [PORTAL_ACTIONS],
      },
      query.limit ?? 50,
      query.cursor,
    );
    return authmatechSuccess({ items: page.items.map(toHistoryItem), nextCursor: page.nextCursor });
  }

  @Get('usage')
  @AuditAction('portal.usage')
  @ApiOperation({ summary: "The client's calls counted per day and action" })
  @ApiAuthmatechOk(UsageReportDto, { description: 'Calls per day and action.' })
  async usage(
    @Query() query: PortalUsageQueryDto,
    @CurrentClient() client: AuthenticatedClient,
    @Req() request: FastifyRequest,
  ): Promise<
    AuthmatechEnvelope<{
      from: string | null;
      to: string | null;
      total: number;
      days: { day: string; action: string; total: number; successes: number; failures: number }[];
    }>
  > {
    auditFacts(request).detail = { query: describeQuery(query) };
    const rows = await this.audit.usageByDayAndAction({
      ...toAuditQuery(query),
      ...(query.action !== undefined ? { action: query.action } : {}),
      clientId: client.clientId,
      excludeActionPrefixes: [PORTAL_ACTIONS],
    });
    return authmatechSuccess({
      from: query.from ?? null,
      to: query.to ?? null,
      total: rows.reduce((sum, row) => sum + row.total, 0),
      days: rows.map((row) => ({
        day: row.key ?? '',
        action: row.action ?? '',
        total: row.total,
        successes: row.successes,
        failures: row.failures,
      })),
    });
  }
}
