import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { AuthenticatedClient } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.js';
import { ServerSecrets } from '../../common/crypto/server-secrets.js';
import { ApiError } from '../../common/errors/api-error.js';
import type { AuditFacts } from '../../common/http/audit-facts.js';
import type { RequestContext } from '../../common/http/request-context.js';
import { hashPhoneNumber } from '../audit/audit-event.js';
import { OperatorsService } from '../operators/operators.service.js';
import type { SwapKind } from '../sim-swap/adapters/swap-adapter.js';
import { lookupContextOf, SimSwapService } from '../sim-swap/sim-swap.service.js';
import type { ServiceType } from '../verification/dto/verify.dto.js';
import {
  VerificationHistoryService,
  type ReportedSession,
} from '../verification/verification-history.service.js';
import type { AssessmentRequestDto } from './dto/assessment-request.dto.js';
import {
  WINDOW_SECONDS,
  type Signals,
  type SwapSignal,
  type Windows,
} from './intelligence-signals.js';
import { IntelligenceRepository } from './intelligence.repository.js';

/** The keyed hashes an assessment is stored and counted under. */
export interface AssessmentKeys {
  phoneHash: string;
  deviceHash: string | null;
  ipHash: string | null;
  operatorId: string | null;
  countryCode: string | null;
}

const DAY_MS = 86_400_000;
const FAILED_INTEGRITY = new Set([
  'FAILED',
  'FAIL',
  'FAILURE',
  'TAMPERED',
  'COMPROMISED',
  'INVALID',
]);
const PASSED_INTEGRITY = new Set(['PASSED', 'PASS', 'VALID', 'OK', 'SUCCESS']);

/**
 * Collects an assessment's signals from the other modules, through their services: SIM and
 * device swap recency (SimSwap, with its operator routing and deadline), verdicts and SDK
 * sessions (Verification), the number's country (Operators), and earlier assessments of this
 * client (our own table, shared by every instance). Independent questions are asked in parallel.
 */
@Injectable()
export class SignalsService {
  constructor(
    private readonly simSwap: SimSwapService,
    private readonly history: VerificationHistoryService,
    private readonly operators: OperatorsService,
    private readonly repository: IntelligenceRepository,
    private readonly secrets: ServerSecrets,
    private readonly clock: Clock,
  ) {}

  async collect(
    ctx: RequestContext,
    client: AuthenticatedClient,
    serviceType: ServiceType,
    body: AssessmentRequestDto,
  ): Promise<{ signals: Signals; keys: AssessmentKeys }> {
    const now = this.clock.now();
    const number = body.mobileNumber;
    const [session, routed, verdicts, simSwap, deviceSwap] = await Promise.all([
      body.sdkSessionId === undefined
        ? undefined
        : this.history.sessionOf(client.clientId, body.sdkSessionId),
      this.operators.routeByPhoneNumber(number),
      this.history.verdictsOf(client.clientId, number, new Date(now.getTime() - DAY_MS)),
      this.swap(ctx, 'sim', number, now),
      this.swap(ctx, 'device', number, now),
    ]);
    if (routed) ctx.audit.operatorId = routed.id;
    const keys = this.keysOf(number, body, session);
    const stats = await this.repository.historyStats(
      client.clientId,
      keys.phoneHash,
      keys.deviceHash,
      keys.ipHash,
      now,
    );

    const ageOf = (at: Date): number =>
      Math.max(0, Math.floor((now.getTime() - at.getTime()) / 1000));
    const inSession = verdicts.filter(
      (verdict) => body.sdkSessionId !== undefined && verdict.sdkSessionId === body.sdkSessionId,
    );
    const success = inSession.find((verdict) => verdict.validNumber);
    const failure = inSession.find((verdict) => !verdict.validNumber);
    const countWithin = (ages: number[]): Windows =>
      WINDOW_SECONDS.map((limit) => ages.filter((age) => age < limit).length) as Windows;
    const verdictAges = verdicts.map((verdict) => ageOf(verdict.at));
    const failureAges = verdicts
      .filter((verdict) => !verdict.validNumber)
      .map((verdict) => ageOf(verdict.at));
    const plusOne = (counts: Windows): Windows => counts.map((count) => count + 1) as Windows;
    const deviceGiven = keys.deviceHash !== null;
    const device = body.device;

    const signals: Signals = {
      serviceType,
      simSwap,
      deviceSwap,
      silent: {
        session: body.sdkSessionId !== undefined,
        successAgeSeconds: success ? ageOf(success.at) : null,
        failureAgeSeconds: failure ? ageOf(failure.at) : null,
      },
      device: {
        given: deviceGiven,
        seenWithNumber: deviceGiven && stats.deviceSeenWithNumber,
        numberHasHistory: stats.numberHasDevices,
        sessionMismatch:
          device?.deviceId !== undefined &&
          session?.deviceIdHash !== undefined &&
          device.deviceId !== session.deviceIdHash,
        numbersOnDevice: deviceGiven ? plusOne(stats.otherNumbersOnDevice) : [0, 0, 0],
        devicesOnNumber: deviceGiven
          ? plusOne(stats.otherDevicesOnNumber)
          : stats.otherDevicesOnNumber,
      },
      operator: { current: keys.operatorId, previous: stats.previousOperator },
      network: {
        countryCode: keys.countryCode,
        numberCountry: routed?.country ?? null,
        previousCountry: stats.previousCountry,
        connectionType: connectionOf(body.network?.connectionType),
        vpn: device?.vpnDetected ?? null,
        proxy: device?.proxyDetected ?? null,
      },
      integrity: {
        rooted: device?.isRooted ?? null,
        emulator: device?.isEmulator ?? null,
        appIntegrity: integrityOf(device?.appIntegrityStatus),
      },
      velocity: {
        number: plusOne(stats.number),
        device: deviceGiven ? plusOne(stats.device) : [0, 0, 0],
        ip: keys.ipHash !== null ? plusOne(stats.ip) : [0, 0, 0],
        verifies: countWithin(verdictAges),
        failures: countWithin(failureAges),
      },
    };
    return { signals, keys };
  }

  private keysOf(
    number: string,
    body: AssessmentRequestDto,
    session: ReportedSession | undefined,
  ): AssessmentKeys {
    const pepper = this.secrets.phoneHashPepper;
    // Domain-separated, so a device id that happens to equal an IP never shares its hash.
    const keyed = (domain: string, value: string | undefined): string | null =>
      value === undefined
        ? null
        : createHmac('sha256', pepper).update(`${domain}\u0000${value}`).digest('hex');
    const operator = body.network?.operator ?? session?.mnoId ?? undefined;
    return {
      phoneHash: hashPhoneNumber(pepper, number),
      deviceHash: keyed('device', body.device?.deviceId ?? session?.deviceIdHash),
      ipHash: keyed('ip', body.network?.ipAddress ?? session?.clientIp),
      operatorId:
        operator === undefined
          ? null
          : operator.trim().toUpperCase().replace(/[ -]+/g, '_').slice(0, 40),
      countryCode: body.network?.countryCode?.toUpperCase() ?? null,
    };
  }

  /**
   * One swap question through the SimSwap module. Its errors (unknown number or operator, no swap
   * API, failure, deadline) become an unknown signal: the policy decides what unknown means.
   */
  private async swap(
    ctx: RequestContext,
    kind: SwapKind,
    number: string,
    now: Date,
  ): Promise<SwapSignal> {
    // The lookup's own facts stay apart: only its upstream calls belong in this request's event.
    const facts: AuditFacts = {};
    const context = { ...lookupContextOf(ctx, 'identity_match'), facts };
    try {
      const date = await this.simSwap.retrieveDate(kind, number, context);
      if (date.latestChange === null) {
        return date.monitoredPeriodDays === undefined
          ? { known: false, reason: 'never_associated' }
          : { known: true, ageSeconds: null };
      }
      return {
        known: true,
        ageSeconds: Math.max(0, Math.floor((now.getTime() - date.latestChange.getTime()) / 1000)),
      };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return { known: false, reason: error.codeFor('identity_match').toLowerCase() };
    } finally {
      if (facts.upstream && facts.upstream.length > 0)
        (ctx.audit.upstream ??= []).push(...facts.upstream.map((call) => ({ ...call, kind })));
    }
  }
}

function connectionOf(value: string | undefined): Signals['network']['connectionType'] {
  switch (value?.toUpperCase()) {
    case 'CELLULAR':
    case 'MOBILE':
      return 'cellular';
    case 'WIFI':
      return 'wifi';
    case 'ETHERNET':
      return 'other';
    default:
      return null;
  }
}

function integrityOf(value: string | undefined): Signals['integrity']['appIntegrity'] {
  if (value === undefined) return null;
  const status = value.trim().toUpperCase();
  if (FAILED_INTEGRITY.has(status)) return 'failed';
  if (PASSED_INTEGRITY.has(status)) return 'passed';
  return 'unknown';
}
