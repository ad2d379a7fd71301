import { Controller, Get, Param, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminAuth } from '../../common/auth/auth.decorators.js';
import { Clock } from '../../common/clock/clock.js';
import { CommonCodes } from '../../common/errors/api-error.js';
import { AuditAction, auditFacts } from '../../common/http/audit-facts.js';
import { ApiErrors } from '../../common/openapi/api-docs.decorators.js';
import { Tags } from '../../common/openapi/api-tags.js';
import {
  AuditEventDto,
  AuditEventPageDto,
  AuditSummaryDto,
  IntegrityReportDto,
} from './dto/audit-responses.dto.js';
import type { AuditRecord } from './audit-chain.js';
import { AuditIntegrityService, type IntegrityReport } from './audit-integrity.service.js';
import { AuditService, type AuditPage } from './audit.service.js';
import {
  AuditEventsQueryDto,
  AuditExportQueryDto,
  describeQuery,
  SummaryQueryDto,
  toAuditQuery,
} from './dto/audit-query.dto.js';
import type { SummaryRow } from './audit.repository.js';

/** Notes on the request's own audit event what was asked (reading the trail is audited too). */
function noteQuery(request: FastifyRequest, dto: object): void {
  const facts = auditFacts(request);
  const phoneNumber = (dto as { phoneNumber?: string }).phoneNumber;
  if (phoneNumber !== undefined) facts.phoneNumber = phoneNumber;
  facts.detail = { ...facts.detail, query: describeQuery(dto) };
}

@ApiTags(Tags.adminAudit)
@AdminAuth('auditor')
@Controller('admin/v1/audit')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly integrity: AuditIntegrityService,
    private readonly clock: Clock,
  ) {}

  @Get('events')
  @AuditAction('audit.events.list')
  @ApiOperation({ summary: 'Query the audit trail, newest first' })
  @ApiOkResponse({
    type: AuditEventPageDto,
    description: 'A page of events, newest first, and the cursor of the next page.',
  })
  list(@Query() query: AuditEventsQueryDto, @Req() request: FastifyRequest): Promise<AuditPage> {
    noteQuery(request, query);
    return this.audit.list(toAuditQuery(query), query.limit ?? 50, query.cursor);
  }

  @Get('events/:id')
  @AuditAction('audit.events.read')
  @ApiOperation({ summary: 'One audit event' })
  @ApiOkResponse({ type: AuditEventDto, description: 'The event.' })
  @ApiErrors({ 404: [CommonCodes.notFound] })
  get(@Param('id') id: string, @Req() request: FastifyRequest): Promise<AuditRecord> {
    auditFacts(request).detail = { eventId: id.slice(0, 40) };
    return this.audit.get(id);
  }

  @Get('export')
  @AuditAction('audit.export')
  @ApiOperation({ summary: 'Export the filtered trail as CSV or NDJSON (streamed)' })
  @ApiProduces('text/csv', 'application/x-ndjson')
  @ApiOkResponse({
    description:
      'CSV with a header row, or NDJSON whose first line describes the fields; sent as an attachment.',
    content: {
      'text/csv': { schema: { type: 'string' } },
      'application/x-ndjson': { schema: { type: 'string' } },
    },
  })
  export(
    @Query() query: AuditExportQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): StreamableFile {
    noteQuery(request, query);
    const now = this.clock.now();
    const stream = this.audit.export(toAuditQuery(query), query.format, now);
    const stamp = now.toISOString().replace(/[:.]/g, '-');
    reply.header('cache-control', 'no-store');
    return new StreamableFile(stream, {
      type:
        query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      disposition: `attachment; filename="audit-${stamp}.${query.format}"`,
    });
  }

  @Get('integrity')
  @AuditAction('audit.integrity')
  @ApiOperation({ summary: 'Check the hash chain' })
  @ApiOkResponse({
    type: IntegrityReportDto,
    description: 'Recomputes the hash chain and reports the first broken link, if any.',
  })
  async verify(@Req() request: FastifyRequest): Promise<IntegrityReport> {
    const report = await this.integrity.verify();
    auditFacts(request).detail = {
      ok: report.ok,
      checkedEvents: report.checkedEvents,
      firstBroken: report.firstBroken,
    };
    return report;
  }
}

@ApiTags(Tags.adminAudit)
@AdminAuth('auditor')
@Controller('admin/v1/reports')
export class ReportsController {
  constructor(private readonly audit: AuditService) {}

  @Get('summary')
  @AuditAction('reports.summary')
  @ApiOperation({ summary: 'Counts and rates per day, client, action or operator' })
  @ApiOkResponse({
    type: AuditSummaryDto,
    description:
      'Counts, success/failure, verification pass rate, SIM-swap positives and latency percentiles per group.',
  })
  async summary(
    @Query() query: SummaryQueryDto,
    @Req() request: FastifyRequest,
  ): Promise<{
    groupBy: string;
    from: string | null;
    to: string | null;
    groups: (SummaryRow & { verificationPassRate: number | null })[];
  }> {
    noteQuery(request, query);
    const rows = await this.audit.summary(toAuditQuery(query), query.groupBy);
    return {
      groupBy: query.groupBy,
      from: query.from ?? null,
      to: query.to ?? null,
      groups: rows.map((row) => ({
        ...row,
        verificationPassRate: row.verifications > 0 ? row.verified / row.verifications : null,
      })),
    };
  }
}
