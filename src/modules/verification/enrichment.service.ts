import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import type { RequestContext } from '../../common/http/request-context.js';
import { RequestAudit } from '../audit/request-audit.service.js';
import { OperatorsService, type OperatorView } from '../operators/operators.service.js';
import {
  VERIFICATION_ADAPTERS,
  type VerificationAdapters,
} from './adapters/verification-adapter.js';
import type { SdkSessionDto } from './dto/sdk-session.dto.js';
import { normalizeEnrichedNumber } from '../../common/phone/phone-number.js';
import { ProofService } from './proof.service.js';
import { TrustedRanges } from '../../common/net/trusted-ranges.js';
import {
  invalidSandboxNumber,
  sandboxHeaderRefused,
  transactionExists,
  unknownOperator,
} from './verification.errors.js';
import {
  ENRICHMENT_SESSIONS,
  SDK_SESSIONS,
  VerificationRepository,
} from './verification.repository.js';

export const SANDBOX_MSISDN_HEADER = 'x-sandbox-msisdn';

export interface EnrichmentData {
  /** The proof, sent back later as `encryptedMobileNumber`; null when nobody was identified, and in the web variant. */
  authmatechCode: string | null;
  MNOID: string;
  sdkSessionId: string;
}

export const NO_RESULT_MESSAGE =
  "The operator did not identify the subscriber (not on this operator's mobile data, or enrichment unavailable). Fall back to another method.";

/** Header enrichment (`GET /v1/he/{operatorId}`) and the SDK's session report. */
@Injectable()
export class EnrichmentService {
  // BlockLists are rebuilt only when an operator's ranges change.
  private readonly ranges = new Map<string, { key: string; ranges: TrustedRanges }>();

  constructor(
    private readonly operators: OperatorsService,
    @Inject(VERIFICATION_ADAPTERS) private readonly adapters: VerificationAdapters,
    private readonly proofs: ProofService,
    private readonly requests: RequestAudit,
    private readonly repository: VerificationRepository,
    private readonly environment: Environment,
    private readonly clock: Clock,
  ) {}

  /** The proof (or none) for the number the network states; the session and its audit event commit together. */
  async enrich(
    ctx: RequestContext,
    client: AuthenticatedClient,
    operatorId: string,
    headers: IncomingHttpHeaders,
    /** Web variant: the session id the Web SDK chose (a UUID). */
    transactionId?: string,
  ): Promise<{ identified: boolean; data: EnrichmentData }> {
    const facts = ctx.audit;
    facts.action = 'enrichment';
    facts.operatorId = operatorId;
    const operator = await this.operators.findById(operatorId);
    const adapter = operator && this.adapters[operator.adapterKind];
    if (!operator || !adapter) throw unknownOperator();

    let number = this.numberOf(client, operator, headers, ctx.sourceIp);
    const found = number;
    if (
      found !== undefined &&
      !operator.numberPrefixes.some((prefix) => found.startsWith(prefix))
    ) {
      // Not a subscriber of this operator: its proxy cannot vouch for the number.
      number = undefined;
    }
    if (number !== undefined) {
      facts.phoneNumber = number;
      if (!(await adapter.identifies(operator, number, facts))) number = undefined;
    }

    const now = this.clock.now();
    // Lower case, as the database spells a UUID: the proof's session claim must equal the stored id.
    const sdkSessionId = transactionId?.toLowerCase() ?? randomUUID();
    // A transactionId names one enrichment. (Two racing on one new id from different instances:
    // the second's row is skipped, and a web-variant verify finds the first one's session.)
    if (
      transactionId !== undefined &&
      (await this.repository.enrichmentSessionExists(sdkSessionId))
    )
      throw transactionExists();
    const sealed =
      number === undefined
        ? undefined
        : await this.proofs.seal(
            { number, operator: operator.id, clientId: client.clientId, sessionId: sdkSessionId },
            now,
            this.environment.PROOF_TTL_SECONDS,
          );
    facts.detail = { sdkSessionId };
    const session = {
      id: sdkSessionId,
      client_id: client.clientId,
      operator_id: operator.id,
      outcome: sealed ? 'identified' : 'no_result',
      proof: sealed?.proof ?? null,
      expires_at: new Date(
        (sealed?.claims.exp ?? Math.floor(now.getTime() / 1000)) * 1000,
      ).toISOString(),
      created_at: now.toISOString(),
    };
    await this.requests.commit(ctx, {
      writes: [{ kind: ENRICHMENT_SESSIONS, row: session }],
      ok: { status: 200, verdict: { identified: sealed !== undefined } },
    });
    return {
      identified: sealed !== undefined,
      // Web variant: the proof stays on the gateway (the backend verifies by transaction id).
      data: {
        authmatechCode: transactionId === undefined ? (sealed?.proof ?? null) : null,
        MNOID: operator.id,
        sdkSessionId,
      },
    };
  }

  /** Stores the SDK's report of its session; the report and its audit event commit together. */
  async recordSdkSession(
    ctx: RequestContext,
    client: AuthenticatedClient,
    body: SdkSessionDto,
  ): Promise<{ sdkSessionId: string }> {
    const facts = ctx.audit;
    facts.action = 'sdk.session';
    if (body.mnoId) facts.operatorId = body.mnoId;
    facts.detail = { sdkSessionId: body.sdkSessionId };
    const report = {
      id: randomUUID(),
      client_id: client.clientId,
      sdk_session_id: body.sdkSessionId,
      mno_id: body.mnoId ?? null,
      authmatech_code_present: body.authmatechCodePresent,
      authmatech_code_hash: body.authmatechCodeHash ?? null,
      // eslint-disable-next-line @typescript-eslint/no-misused-spread -- a validated DTO: its own fields are the data, the prototype has none
      device_context: { ...(body.deviceContext ?? {}) },
      // Fastify derives the address from the TCP peer, or from X-Forwarded-For only via TRUSTED_PROXIES.
      client_ip: ctx.sourceIp,
      at: this.clock.now().toISOString(),
    };
    await this.requests.commit(ctx, {
      writes: [{ kind: SDK_SESSIONS, row: report }],
      ok: { status: 200 },
    });
    return { sdkSessionId: body.sdkSessionId };
  }

  /**
   * The subscriber's number as the network states it. Sandbox clients may state it with
   * X-Sandbox-Msisdn; otherwise only the operator's enrichment header counts, and only from the
   * operator's proxy ranges (anyone else could set the header).
   */
  private numberOf(
    client: AuthenticatedClient,
    operator: OperatorView,
    headers: IncomingHttpHeaders,
    sourceIp: string,
  ): string | undefined {
    const sandboxHeader = headers[SANDBOX_MSISDN_HEADER];
    if (sandboxHeader !== undefined) {
      if (client.environment !== 'SANDBOX') throw sandboxHeaderRefused();
      const number =
        typeof sandboxHeader === 'string' ? normalizeEnrichedNumber(sandboxHeader) : undefined;
      if (!number || !sandboxHeader.toString().startsWith('+')) throw invalidSandboxNumber();
      return number;
    }
    if (!operator.enrichmentHeader || !this.rangesOf(operator).contains(sourceIp)) return undefined;
    const injected = headers[operator.enrichmentHeader.toLowerCase()];
    return typeof injected === 'string' ? normalizeEnrichedNumber(injected) : undefined;
  }

  private rangesOf(operator: OperatorView): TrustedRanges {
    const key = operator.trustedRanges.join(',');
    const cached = this.ranges.get(operator.id);
    if (cached?.key === key) return cached.ranges;
    const ranges = new TrustedRanges(operator.trustedRanges);
    this.ranges.set(operator.id, { key, ranges });
    return ranges;
  }
}
