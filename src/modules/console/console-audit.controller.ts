import {
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { ApiExcludeController, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsoleAuth, CurrentConsoleUser } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedConsoleUser } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { AuditAction, auditFacts } from '../../common/http/audit-facts.js';
import type { AuditRecord } from '../audit/audit-chain.js';
import { AuditIntegrityService, type ChainAnchor } from '../audit/audit-integrity.service.js';
import { AuditRetentionService } from '../audit/audit-retention.service.js';
import {
  AuditVerificationRunsService,
  type VerificationRunView,
} from '../audit/audit-verification-runs.service.js';
import { AuditService, type AuditPage } from '../audit/audit.service.js';
import {
  AuditEventsQueryDto,
  AuditExportQueryDto,
  describeQuery,
  SummaryQueryDto,
  toAuditQuery,
} from '../audit/dto/audit-query.dto.js';
import { runNotFound } from './console.errors.js';

/** Notes on the request's own event what was searched (reading the trail is audited; a number goes hashed). */
function noteQuery(request: FastifyRequest, dto: object): void {
  const facts = auditFacts(request);
  const phoneNumber = (dto as { phoneNumber?: string }).phoneNumber;
  if (phoneNumber !== undefined) facts.phoneNumber = phoneNumber;
  facts.detail = { query: describeQuery(dto) };
}

/**
 * The auditor's pages (read only; admins may read too): search with every filter of the audit
 * API, event detail, streamed CSV/NDJSON export, the summary report, the chain's integrity with
 * stored, progress-reporting checks, and retention. Same services and event actions as
 * /admin/v1/audit, with the console user as actor.
 */
// The console's own API, for its pages only: not part of the published gateway API (OpenAPI).
@ApiExcludeController()
@ApiTags('console: audit')
@ConsoleAuth('auditor', 'admin')
@Controller('console/api/audit')
export class ConsoleAuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly integrity: AuditIntegrityService,
    private readonly runs: AuditVerificationRunsService,
    private readonly retention: AuditRetentionService,
    private readonly environment: Environment,
    private readonly clock: Clock,
  ) {}

  @Get('events')
  @AuditAction('audit.events.list')
  list(@Query() query: AuditEventsQueryDto, @Req() request: FastifyRequest): Promise<AuditPage> {
    noteQuery(request, query);
    return this.audit.list(toAuditQuery(query), query.limit ?? 50, query.cursor);
  }

  @Get('events/:id')
  @AuditAction('audit.events.read')
  get(@Param('id') id: string, @Req() request: FastifyRequest): Promise<AuditRecord> {
    auditFacts(request).detail = { eventId: id.slice(0, 40) };
    return this.audit.get(id);
  }

  @Get('export')
  @AuditAction('audit.export')
  @ApiOperation({ summary: 'The filtered events as a streamed CSV or NDJSON download.' })
  export(
    @Query() query: AuditExportQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): StreamableFile {
    noteQuery(request, query);
    const now = this.clock.now();
    const stamp = now.toISOString().replace(/[:.]/g, '-');
    reply.header('cache-control', 'no-store');
    return new StreamableFile(this.audit.export(toAuditQuery(query), query.format, now), {
      type:
        query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      disposition: `attachment; filename="audit-${stamp}.${query.format}"`,
    });
  }

  @Get('summary')
  @AuditAction('reports.summary')
  async summary(
    @Query() query: SummaryQueryDto,
    @Req() request: FastifyRequest,
  ): Promise<{ groupBy: string; groups: unknown[] }> {
    noteQuery(request, query);
    const rows = await this.audit.summary(toAuditQuery(query), query.groupBy);
    return {
      groupBy: query.groupBy,
      groups: rows.map((row) => ({
        ...row,
        verificationPassRate: row.verifications > 0 ? row.verified / row.verifications : null,
      })),
    };
  }

  @Get('integrity')
  @AuditAction('console.integrity.read')
  @ApiOperation({
    summary:
      'The last stored chain check (console or audit:verify), the running one, and the chain head to keep as an anchor.',
  })
  async integrityState(): Promise<{
    anchor: ChainAnchor;
    latest: VerificationRunView | null;
    lastFinished: VerificationRunView | null;
  }> {
    const [anchor, runs] = await Promise.all([
      this.integrity.anchor(this.clock.now()),
      this.runs.latest(),
    ]);
    return { anchor, ...runs };
  }

  @Post('integrity/runs')
  @HttpCode(202)
  @AuditAction('console.integrity.start')
  @ApiOperation({
    summary:
      'Start a chain check in the background (or join the running one); poll the run for progress.',
  })
  async startRun(
    @CurrentConsoleUser() user: AuthenticatedConsoleUser,
    @Req() request: FastifyRequest,
  ): Promise<VerificationRunView> {
    const run = await this.runs.start({
      type: 'console_user',
      id: user.userId,
      correlationId: request.id,
    });
    auditFacts(request).detail = { runId: run.id };
    return run;
  }

  @Get('integrity/runs/:runId')
  @AuditAction('console.integrity.progress')
  async run(@Param('runId') runId: string): Promise<VerificationRunView> {
    const run = await this.runs.get(runId);
    if (!run) throw runNotFound();
    return run;
  }

  @Get('retention')
  @AuditAction('console.retention.read')
  async retentionState(): Promise<{
    retentionDays: number;
    partitionsAheadMonths: number;
    partitions: { name: string; from: string; to: string }[];
    runs: AuditRecord[];
  }> {
    const [retentionDays, partitions, runs] = await Promise.all([
      this.retention.currentRetentionDays(),
      this.retention.partitions(),
      this.audit.list({ action: 'audit.retention' }, 20),
    ]);
    return {
      retentionDays,
      partitionsAheadMonths: this.environment.AUDIT_PARTITIONS_AHEAD_MONTHS,
      partitions,
      runs: runs.items,
    };
  }
}
