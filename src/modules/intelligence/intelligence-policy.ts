import type { ServiceType } from '../verification/dto/verify.dto.js';
import type { Signals } from './intelligence-signals.js';

export const DECISIONS = ['ALLOW', 'CHALLENGE', 'REVIEW', 'BLOCK'] as const;
export type Decision = (typeof DECISIONS)[number];
export const DETECT_ACTIONS = ['ALLOW', 'MONITOR', 'CHALLENGE', 'BLOCK'] as const;
export type DetectAction = (typeof DETECT_ACTIONS)[number];
export const ANOMALY_TYPES = [
  'MULTI_ACCOUNT',
  'VELOCITY_SPIKE',
  'REPEATED_FAILURES',
  'GEO_SHIFT',
] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

/** The signal groups of Trust's `breakdown` (each 0–100, higher = more trustworthy). */
export type FactorGroup = 'sim' | 'verification' | 'device' | 'network' | 'behaviour';

/**
 * Every factor, its group and its default weight in risk points (negative = a positive factor,
 * it lowers the risk). README "Intelligence" documents the same table.
 */
export const FACTORS = {
  sim_swap_recent: {
    group: 'sim',
    weight: 50,
    doc: 'SIM changed within limits.recentSimSwapHours (default 24 h)',
  },
  sim_swap_week: {
    group: 'sim',
    weight: 25,
    doc: 'SIM changed within limits.simSwapWatchDays (default 7 days), not within the recent window',
  },
  sim_swap_unknown: {
    group: 'sim',
    weight: 8,
    doc: 'the operator failed, was too slow, is unknown or has no swap API',
  },
  sim_stable: { group: 'sim', weight: -10, doc: 'no SIM change within limits.simSwapWatchDays' },
  device_swap_recent: {
    group: 'sim',
    weight: 20,
    doc: 'the number moved to another handset within limits.recentSimSwapHours',
  },
  sdk_verified: {
    group: 'verification',
    weight: -35,
    doc: 'a positive silent verification of this number in this sdkSessionId within silentVerificationWindowSeconds',
  },
  silent_verification_failed: {
    group: 'verification',
    weight: 25,
    doc: 'a negative verify of this number in this sdkSessionId within the window',
  },
  device_known: {
    group: 'device',
    weight: -10,
    doc: 'this device was seen with this number before',
  },
  device_new: {
    group: 'device',
    weight: 10,
    doc: 'the number has history, but never with this device',
  },
  device_session_mismatch: {
    group: 'device',
    weight: 20,
    doc: 'device.deviceId differs from the deviceIdHash the SDK reported for the session',
  },
  multi_account: {
    group: 'device',
    weight: 30,
    doc: 'the device was used with limits.multiAccountNumbers numbers or more within 1 h',
  },
  number_many_devices: {
    group: 'device',
    weight: 15,
    doc: 'the number was used on limits.numberDevices devices or more within 24 h',
  },
  device_rooted: { group: 'device', weight: 20, doc: 'device.isRooted' },
  device_emulator: { group: 'device', weight: 30, doc: 'device.isEmulator' },
  app_integrity_failed: {
    group: 'device',
    weight: 30,
    doc: 'device.appIntegrityStatus is a failure (FAILED, TAMPERED, …)',
  },
  operator_changed: {
    group: 'network',
    weight: 20,
    doc: 'the operator differs from the one of the number’s previous assessment (a port)',
  },
  operator_stable: {
    group: 'network',
    weight: -5,
    doc: 'same operator as the number’s previous assessment',
  },
  country_mismatch: {
    group: 'network',
    weight: 20,
    doc: 'network.countryCode differs from the number’s country',
  },
  network_stable: {
    group: 'network',
    weight: -5,
    doc: 'cellular connection in the number’s country, no VPN or proxy',
  },
  vpn_detected: { group: 'network', weight: 15, doc: 'network vpnDetected' },
  proxy_detected: { group: 'network', weight: 15, doc: 'network proxyDetected' },
  connection_wifi: {
    group: 'network',
    weight: 5,
    doc: 'not on mobile data (no header enrichment possible)',
  },
  velocity_spike: {
    group: 'behaviour',
    weight: 25,
    doc: 'assessments or verifies of the number, device or IP above the limits.velocity* thresholds',
  },
  repeated_failures: {
    group: 'behaviour',
    weight: 25,
    doc: 'limits.repeatedFailures1h negative verifies of the number or more within 1 h',
  },
} as const satisfies Record<string, { group: FactorGroup; weight: number; doc: string }>;

export type FactorCode = keyof typeof FACTORS;
export const FACTOR_CODES = Object.keys(FACTORS) as FactorCode[];

/** "These factors together, on this journey, decide at least this" (e.g. SIM swapped on TRANSACTION → BLOCK). */
interface HardRule {
  id: string;
  /** Every one of these factors must be present. */
  factors: FactorCode[];
  decision: Decision;
}

interface Limits {
  recentSimSwapHours: number;
  simSwapWatchDays: number;
  multiAccountNumbers: number;
  numberDevices: number;
  /** Assessments of the number in [10 min, 1 h, 24 h] at or above which velocity_spike is raised. */
  velocityNumber: [number, number, number];
  velocityDevice: [number, number, number];
  velocityIp: [number, number, number];
  /** Verifies of the number in [10 min, 1 h, 24 h]. */
  velocityVerifies: [number, number, number];
  repeatedFailures1h: number;
}

/** A client's policy for one service type. Versioned: every change is stored as a new version. */
export interface Policy {
  /** Risk before any factor. */
  base: number;
  /** Weight per factor code; a factor missing here has its default weight. */
  weights: Record<FactorCode, number>;
  /** riskScore at or above which the decision is CHALLENGE, REVIEW, BLOCK. */
  thresholds: { challenge: number; review: number; block: number };
  hardRules: HardRule[];
  /** `closed`: an unknown SIM-swap status decides at least `failClosedDecision`; `open`: it only weighs. */
  simSwapFailMode: 'open' | 'closed';
  failClosedDecision: Decision;
  silentVerificationWindowSeconds: number;
  limits: Limits;
  /** Detect: points per anomaly (anomalyScore is their sum, at most 100) and the action thresholds. */
  detect: {
    scores: Record<AnomalyType, number>;
    monitor: number;
    challenge: number;
    block: number;
  };
}

const DEFAULT_LIMITS: Limits = {
  recentSimSwapHours: 24,
  simSwapWatchDays: 7,
  multiAccountNumbers: 3,
  numberDevices: 3,
  velocityNumber: [5, 10, 30],
  velocityDevice: [10, 20, 50],
  velocityIp: [20, 50, 200],
  velocityVerifies: [5, 10, 30],
  repeatedFailures1h: 3,
};

/** The journeys where money or the account itself is at stake fail closed and refuse fresh SIM swaps. */
const SENSITIVE: readonly ServiceType[] = ['TRANSACTION', 'RESET_PASS', 'UPDATE_DETAILS'];

/** The built-in policy of a service type (version 0), used until a client stores its own. */
export function defaultPolicy(serviceType: ServiceType): Policy {
  const sensitive = SENSITIVE.includes(serviceType);
  const hardRules: HardRule[] = [
    {
      id: 'sim_swap_recent',
      factors: ['sim_swap_recent'],
      decision: serviceType === 'TRANSACTION' ? 'BLOCK' : sensitive ? 'REVIEW' : 'CHALLENGE',
    },
    {
      id: 'emulator_integrity',
      factors: ['device_emulator', 'app_integrity_failed'],
      decision: 'BLOCK',
    },
  ];
  if (serviceType === 'REGISTRATION')
    hardRules.push({
      id: 'multi_account_registration',
      factors: ['multi_account'],
      decision: 'REVIEW',
    });
  return {
    base: 30,
    weights: Object.fromEntries(FACTOR_CODES.map((code) => [code, FACTORS[code].weight])) as Record<
      FactorCode,
      number
    >,
    thresholds: { challenge: 40, review: 60, block: 80 },
    hardRules,
    simSwapFailMode: sensitive ? 'closed' : 'open',
    failClosedDecision: 'REVIEW',
    silentVerificationWindowSeconds: 600,
    limits: structuredClone(DEFAULT_LIMITS),
    detect: {
      scores: { MULTI_ACCOUNT: 40, VELOCITY_SPIKE: 30, REPEATED_FAILURES: 30, GEO_SHIFT: 25 },
      monitor: 1,
      challenge: 40,
      block: 70,
    },
  };
}

/** A stored or submitted policy over the defaults of its service type (a draft may give only what it changes). */
export function completePolicy(serviceType: ServiceType, partial: DeepPartial<Policy>): Policy {
  const base = defaultPolicy(serviceType);
  // Validated request bodies are class instances whose absent fields are own `undefined` properties.
  const given = <T extends object>(value: T | undefined): Partial<T> =>
    Object.fromEntries(
      Object.entries(value ?? {}).filter(([, entry]) => entry !== undefined),
    ) as Partial<T>;
  const detectGiven = given(partial.detect);
  return {
    base: partial.base ?? base.base,
    weights: {
      ...base.weights,
      ...(given(partial.weights) as Partial<Record<FactorCode, number>>),
    },
    thresholds: { ...base.thresholds, ...given(partial.thresholds) },
    hardRules:
      partial.hardRules?.map((rule) => ({
        id: rule.id,
        factors: [...rule.factors],
        decision: rule.decision,
      })) ?? base.hardRules,
    simSwapFailMode: partial.simSwapFailMode ?? base.simSwapFailMode,
    failClosedDecision: partial.failClosedDecision ?? base.failClosedDecision,
    silentVerificationWindowSeconds:
      partial.silentVerificationWindowSeconds ?? base.silentVerificationWindowSeconds,
    limits: { ...base.limits, ...(given(partial.limits) as Partial<Limits>) },
    detect: {
      ...base.detect,
      ...(detectGiven as Partial<Omit<Policy['detect'], 'scores'>>),
      scores: {
        ...base.detect.scores,
        ...(given(partial.detect?.scores) as Partial<Record<AnomalyType, number>>),
      },
    },
  };
}

export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

export interface Evaluation {
  /** Factors present, in FACTORS order, with the weight the policy gave them. */
  factors: { code: FactorCode; weight: number }[];
  /** 0–100, higher = riskier (Shield's riskScore; Trust's trustScore is 100 − this). */
  riskScore: number;
  decision: Decision;
  /** Hard rules that fired (and `sim_swap_fail_closed`). */
  rules: string[];
}

const HOUR = 3_600;
const DAY = 86_400;
const SEVERITY: Record<Decision, number> = { ALLOW: 0, CHALLENGE: 1, REVIEW: 2, BLOCK: 3 };
const clamp = (value: number): number => Math.min(100, Math.max(0, Math.round(value)));

/** The factors the signals raise under the policy's limits. */
export function factorsOf(signals: Signals, policy: Policy): FactorCode[] {
  const limits = policy.limits;
  const present = new Set<FactorCode>();
  const { simSwap, deviceSwap, silent, device, operator, network, integrity, velocity } = signals;
  if (!simSwap.known) present.add('sim_swap_unknown');
  else if (simSwap.ageSeconds !== null && simSwap.ageSeconds < limits.recentSimSwapHours * HOUR)
    present.add('sim_swap_recent');
  else if (simSwap.ageSeconds !== null && simSwap.ageSeconds < limits.simSwapWatchDays * DAY)
    present.add('sim_swap_week');
  else present.add('sim_stable');
  if (
    deviceSwap.known &&
    deviceSwap.ageSeconds !== null &&
    deviceSwap.ageSeconds < limits.recentSimSwapHours * HOUR
  )
    present.add('device_swap_recent');

  const window = policy.silentVerificationWindowSeconds;
  const { successAgeSeconds, failureAgeSeconds } = silent;
  const success = successAgeSeconds !== null && successAgeSeconds <= window;
  const failure = failureAgeSeconds !== null && failureAgeSeconds <= window;
  // The newer of the two verdicts counts when both fall in the window.
  if (success && (!failure || successAgeSeconds <= failureAgeSeconds)) present.add('sdk_verified');
  else if (failure) present.add('silent_verification_failed');

  if (device.given) {
    if (device.seenWithNumber) present.add('device_known');
    else if (device.numberHasHistory) present.add('device_new');
  }
  if (device.sessionMismatch) present.add('device_session_mismatch');
  if (device.numbersOnDevice[1] >= limits.multiAccountNumbers) present.add('multi_account');
  if (device.devicesOnNumber[2] >= limits.numberDevices) present.add('number_many_devices');
  if (integrity.rooted === true) present.add('device_rooted');
  if (integrity.emulator === true) present.add('device_emulator');
  if (integrity.appIntegrity === 'failed') present.add('app_integrity_failed');

  if (operator.current !== null && operator.previous !== null)
    present.add(operator.current === operator.previous ? 'operator_stable' : 'operator_changed');
  const mismatch =
    network.countryCode !== null &&
    network.numberCountry !== null &&
    network.countryCode !== network.numberCountry;
  if (mismatch) present.add('country_mismatch');
  if (network.vpn === true) present.add('vpn_detected');
  if (network.proxy === true) present.add('proxy_detected');
  if (network.connectionType === 'wifi') present.add('connection_wifi');
  if (
    network.connectionType === 'cellular' &&
    !mismatch &&
    network.countryCode !== null &&
    network.vpn !== true &&
    network.proxy !== true
  )
    present.add('network_stable');

  if (velocitySpike(signals, limits)) present.add('velocity_spike');
  if (velocity.failures[1] >= limits.repeatedFailures1h) present.add('repeated_failures');
  return FACTOR_CODES.filter((code) => present.has(code));
}

function velocitySpike(signals: Signals, limits: Limits): boolean {
  const { velocity, device } = signals;
  const over = (counts: [number, number, number], thresholds: [number, number, number]): boolean =>
    counts.some((count, index) => count >= thresholds[index]);
  return (
    over(velocity.number, limits.velocityNumber) ||
    (device.given && over(velocity.device, limits.velocityDevice)) ||
    over(velocity.ip, limits.velocityIp) ||
    over(velocity.verifies, limits.velocityVerifies)
  );
}

/** Applies a policy to stored signals: the same function answers live requests and backtests. */
export function evaluate(signals: Signals, policy: Policy): Evaluation {
  const codes = factorsOf(signals, policy);
  const factors = codes.map((code) => ({
    code,
    weight: (policy.weights as Partial<Record<FactorCode, number>>)[code] ?? FACTORS[code].weight,
  }));
  const riskScore = clamp(policy.base + factors.reduce((sum, factor) => sum + factor.weight, 0));
  const t = policy.thresholds;
  let decision: Decision =
    riskScore >= t.block
      ? 'BLOCK'
      : riskScore >= t.review
        ? 'REVIEW'
        : riskScore >= t.challenge
          ? 'CHALLENGE'
          : 'ALLOW';
  const rules: string[] = [];
  const raise = (to: Decision, rule: string): void => {
    rules.push(rule);
    if (SEVERITY[to] > SEVERITY[decision]) decision = to;
  };
  const present = new Set(codes);
  for (const rule of policy.hardRules) {
    if (rule.factors.length > 0 && rule.factors.every((code) => present.has(code)))
      raise(rule.decision, rule.id);
  }
  if (policy.simSwapFailMode === 'closed' && present.has('sim_swap_unknown'))
    raise(policy.failClosedDecision, 'sim_swap_fail_closed');
  return { factors, riskScore, decision, rules };
}

export type RiskLevel = 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

export function riskLevelOf(score: number): RiskLevel {
  return score >= 75 ? 'CRITICAL' : score >= 50 ? 'HIGH' : score >= 25 ? 'MEDIUM' : 'LOW';
}

/** Trust's breakdown: per group, 70 minus the group's risk points, within 0–100. */
export function breakdownOf(evaluation: Evaluation): Record<FactorGroup, number> {
  const sums: Record<FactorGroup, number> = {
    sim: 0,
    verification: 0,
    device: 0,
    network: 0,
    behaviour: 0,
  };
  for (const factor of evaluation.factors) sums[FACTORS[factor.code].group] += factor.weight;
  return Object.fromEntries(
    Object.entries(sums).map(([group, sum]) => [group, clamp(70 - sum)]),
  ) as Record<FactorGroup, number>;
}

/** Trust's confidence: how many of the five main signals were known. */
export function confidenceOf(signals: Signals): 'HIGH' | 'MEDIUM' | 'LOW' {
  const known = [
    signals.simSwap.known,
    signals.silent.session,
    signals.device.given,
    signals.network.countryCode !== null,
    signals.network.connectionType !== null,
  ].filter(Boolean).length;
  return known >= 4 ? 'HIGH' : known >= 2 ? 'MEDIUM' : 'LOW';
}

interface Anomaly {
  type: AnomalyType;
  /** The count that crossed the threshold (GEO_SHIFT: 1). */
  observed: number;
  threshold: number;
  window: '10m' | '1h' | '24h';
  points: number;
}

export interface DetectEvaluation {
  anomalies: Anomaly[];
  anomalyScore: number;
  recommendedAction: DetectAction;
}

const WINDOWS = ['10m', '1h', '24h'] as const;

/** Detect: the anomalies the signals show, their score (capped at 100) and the recommended action. */
export function detect(signals: Signals, policy: Policy): DetectEvaluation {
  const limits = policy.limits;
  const scores = policy.detect.scores;
  const anomalies: Anomaly[] = [];
  const firstOver = (
    counts: [number, number, number],
    thresholds: [number, number, number],
  ): number => counts.findIndex((count, index) => count >= thresholds[index]);
  const { device, velocity, network } = signals;
  if (device.numbersOnDevice[1] >= limits.multiAccountNumbers) {
    anomalies.push({
      type: 'MULTI_ACCOUNT',
      observed: device.numbersOnDevice[1],
      threshold: limits.multiAccountNumbers,
      window: '1h',
      points: scores.MULTI_ACCOUNT,
    });
  } else if (device.devicesOnNumber[2] >= limits.numberDevices) {
    anomalies.push({
      type: 'MULTI_ACCOUNT',
      observed: device.devicesOnNumber[2],
      threshold: limits.numberDevices,
      window: '24h',
      points: scores.MULTI_ACCOUNT,
    });
  }
  const spikes: [[number, number, number], [number, number, number], boolean][] = [
    [velocity.number, limits.velocityNumber, true],
    [velocity.device, limits.velocityDevice, device.given],
    [velocity.ip, limits.velocityIp, true],
    [velocity.verifies, limits.velocityVerifies, true],
  ];
  for (const [counts, thresholds, applies] of spikes) {
    const index = applies ? firstOver(counts, thresholds) : -1;
    if (index >= 0) {
      anomalies.push({
        type: 'VELOCITY_SPIKE',
        observed: counts[index],
        threshold: thresholds[index],
        window: WINDOWS[index],
        points: scores.VELOCITY_SPIKE,
      });
      break;
    }
  }
  if (velocity.failures[1] >= limits.repeatedFailures1h) {
    anomalies.push({
      type: 'REPEATED_FAILURES',
      observed: velocity.failures[1],
      threshold: limits.repeatedFailures1h,
      window: '1h',
      points: scores.REPEATED_FAILURES,
    });
  }
  if (
    network.countryCode !== null &&
    network.previousCountry !== null &&
    network.countryCode !== network.previousCountry
  ) {
    anomalies.push({
      type: 'GEO_SHIFT',
      observed: 1,
      threshold: 1,
      window: '24h',
      points: scores.GEO_SHIFT,
    });
  }
  const anomalyScore = clamp(anomalies.reduce((sum, anomaly) => sum + anomaly.points, 0));
  const d = policy.detect;
  const recommendedAction: DetectAction =
    anomalyScore >= d.block
      ? 'BLOCK'
      : anomalyScore >= d.challenge
        ? 'CHALLENGE'
        : anomalyScore >= d.monitor
          ? 'MONITOR'
          : 'ALLOW';
  return { anomalies, anomalyScore, recommendedAction };
}
