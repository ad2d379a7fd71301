import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { ApiError } from '../../common/errors/api-error.js';
import { auditFacts } from '../../common/http/audit-facts.js';
import type { AuthmatechEnvelope } from '../../common/http/error-envelope.js';
import { OperatorsService, type OperatorView } from '../operators/operators.service.js';
import { OperatorCallsService } from './adapters/operator-calls.service.js';
import { authmatechSuccess as success, authmatechWarning as warning } from '../../common/http/authmatech-envelope.js';
import type { SdkSessionDto } from './dto/sdk-session.dto.js';
import { normalizeEnrichedNumber } from '../../common/phone/phone-number.js';
import { ProofService } from './proof.service.js';
import { TrustedRanges } from '../operators/trusted-ranges.js';
import { transactionExists, unknownOperator, VerificationCodes } from './verification.errors.js';
import { VerificationRepository } from './verification.repository.js';

export const SANDBOX_MSISDN_HEADER = 'x-sandbox-msisdn';

export interface EnrichmentData {
  /** The proof, sent back later as `encryptedMobileNumber`; null when nobody was identified, and in the web variant. */
  authmatechCode: string | null;
  MNOID: string;
  sdkSessionId: string;
}

const NO_RESULT_MESSAGE =
  "The operator did not identify the subscriber (not on this operator's mobile data, or enrichment unavailable). Fall back to another method.";

/** Header enrichment (`GET /v1/he/{operatorId}`) and the SDK's session report. */
@Injectable()
export class EnrichmentService {
  // BlockLists are rebuilt only when an operator's ranges change.
  private readonly ranges = new Map<string, { key: string; ranges: TrustedRanges }>();

  constructor(
    private readonly operators: OperatorsService,
    private readonly calls: OperatorCallsService,
    private readonly proofs: ProofService,
    private readonly repository: VerificationRepository,
    private readonly environment: Environment,
    private readonly clock: Clock,
  ) {}

  async enrich(
    client: AuthenticatedClient,
    operatorId: string,
    request: FastifyRequest,
    /** Web variant: the session id the Web SDK chose (a UUID). */
    transactionId?: string,
  ): Promise<AuthmatechEnvelope<EnrichmentData>> {
    const facts = auditFacts(request);
    facts.action = 'enrichment';
    facts.operatorId = operatorId;
    const operator = await this.operators.findById(operatorId);
    if (!operator || operator.adapterKind === 'camara') throw unknownOperator();

    let number = this.numberOf(client, operator, request);
    if (
      number !== undefined &&
      !operator.numberPrefixes.some((prefix) => number!.startsWith(prefix))
    ) {
      // Not a subscriber of this operator: its proxy cannot vouch for the number.
      number = undefined;
    }
    if (number !== undefined) {
      facts.phoneNumber = number;
      if (operator.adapterKind !== 'sandbox') {
        // Upstream operators enrich at the upstream service, which issues its own proofs.
        number = undefined;
      } else if ((await this.calls.sandbox(operator, number, facts)) === 'no_result') {
        number = undefined;
      }
    }

    const now = this.clock.now();
    // Lower case, as the database spells a UUID: the proof's session claim must equal the stored id.
    const sdkSessionId = transactionId?.toLowerCase() ?? randomUUID();
    const sealed =
      number === undefined
        ? undefined
        : await this.proofs.seal(
            { number, operator: operator.id, clientId: client.clientId, sessionId: sdkSessionId },
            now,
            this.environment.PROOF_TTL_SECONDS,
          );
    const created = await this.repository.createEnrichmentSession({
      id: sdkSessionId,
      clientId: client.clientId,
      operatorId: operator.id,
      identified: sealed !== undefined,
      proof: sealed?.proof ?? null,
      expiresAt: new Date((sealed?.claims.exp ?? Math.floor(now.getTime() / 1000)) * 1000),
      createdAt: now,
    });
    if (!created) throw transactionExists();
    facts.verdict = { identified: sealed !== undefined };
    facts.detail = { sdkSessionId };
    const data: EnrichmentData = {
      // Web variant: the proof stays on the gateway (the backend verifies by transaction id).
      authmatechCode: transactionId === undefined ? (sealed?.proof ?? null) : null,
      MNOID: operator.id,
      sdkSessionId,
    };
    return sealed
      ? success(data)
      : warning(VerificationCodes.noEnrichmentResult, NO_RESULT_MESSAGE, data);
  }

  async recordSdkSession(
    client: AuthenticatedClient,
    body: SdkSessionDto,
    request: FastifyRequest,
  ): Promise<AuthmatechEnvelope<{ sdkSessionId: string }>> {
    const facts = auditFacts(request);
    facts.action = 'sdk.session';
    if (body.mnoId) facts.operatorId = body.mnoId;
    facts.detail = { sdkSessionId: body.sdkSessionId };
    await this.repository.upsertSdkSession({
      id: randomUUID(),
      clientId: client.clientId,
      sdkSessionId: body.sdkSessionId,
      mnoId: body.mnoId ?? null,
      authmatechCodePresent: body.authmatechCodePresent,
      authmatechCodeHash: body.authmatechCodeHash ?? null,
      deviceContext: { ...(body.deviceContext ?? {}) },
      // Fastify derives request.ip from the TCP peer, or from X-Forwarded-For only via TRUSTED_PROXIES.
      clientIp: request.ip,
      now: this.clock.now(),
    });
    return success({ sdkSessionId: body.sdkSessionId });
  }

  /**
   * The subscriber's number as the network states it. Sandbox clients may state it with
   * X-Sandbox-Msisdn; otherwise only the operator's enrichment header counts, and only from the
   * operator's proxy ranges (anyone else could set the header).
   */
  private numberOf(
    client: AuthenticatedClient,
    operator: OperatorView,
    request: FastifyRequest,
  ): string | undefined {
    const sandboxHeader = request.headers[SANDBOX_MSISDN_HEADER];
    if (sandboxHeader !== undefined) {
      if (client.environment !== 'SANDBOX') {
        throw new ApiError(
          400,
          VerificationCodes.sandboxHeaderRefused,
          'X-Sandbox-Msisdn is accepted from SANDBOX clients only.',
        );
      }
      const number =
        typeof sandboxHeader === 'string' ? normalizeEnrichedNumber(sandboxHeader) : undefined;
      if (!number || !sandboxHeader.toString().startsWith('+')) {
        throw new ApiError(
          400,
          VerificationCodes.invalidMobileNumber,
          'X-Sandbox-Msisdn must be a number in E.164 format.',
        );
      }
      return number;
    }
    if (!operator.enrichmentHeader || !this.rangesOf(operator).contains(request.ip))
      return undefined;
    const injected = request.headers[operator.enrichmentHeader.toLowerCase()];
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
