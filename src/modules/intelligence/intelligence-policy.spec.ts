import { readFileSync } from 'node:fs';
import { SERVICE_TYPES } from '../verification/dto/verify.dto.js';
import {
  completePolicy,
  defaultPolicy,
  detect,
  evaluate,
  FACTOR_CODES,
  FACTORS,
  factorsOf,
  type FactorCode,
} from './intelligence-policy.js';
import type { Signals } from './intelligence-signals.js';

/** Signals that raise no factor at all but sim_stable. */
function neutral(): Signals {
  return {
    serviceType: 'LOGIN',
    simSwap: { known: true, ageSeconds: 400 * 86_400 },
    deviceSwap: { known: true, ageSeconds: 400 * 86_400 },
    silent: { session: true, successAgeSeconds: null, failureAgeSeconds: null },
    device: {
      given: true,
      seenWithNumber: false,
      numberHasHistory: false,
      sessionMismatch: false,
      numbersOnDevice: [1, 1, 1],
      devicesOnNumber: [1, 1, 1],
    },
    operator: { current: 'OP_A', previous: null },
    network: {
      countryCode: 'NL',
      numberCountry: 'NL',
      previousCountry: null,
      connectionType: null,
      vpn: false,
      proxy: false,
    },
    integrity: { rooted: false, emulator: false, appIntegrity: 'passed' },
    velocity: {
      number: [1, 1, 1],
      device: [1, 1, 1],
      ip: [1, 1, 1],
      verifies: [0, 0, 0],
      failures: [0, 0, 0],
    },
  };
}

/** For each factor, the change of the neutral signals that raises it. */
const RAISE: Record<FactorCode, (s: Signals) => void> = {
  sim_swap_recent: (s) => (s.simSwap = { known: true, ageSeconds: 1_800 }),
  sim_swap_week: (s) => (s.simSwap = { known: true, ageSeconds: 3 * 86_400 }),
  sim_swap_unknown: (s) => (s.simSwap = { known: false, reason: 'timeout' }),
  sim_stable: () => undefined,
  device_swap_recent: (s) => (s.deviceSwap = { known: true, ageSeconds: 600 }),
  sdk_verified: (s) => (s.silent.successAgeSeconds = 30),
  silent_verification_failed: (s) => (s.silent.failureAgeSeconds = 30),
  device_known: (s) => (s.device.seenWithNumber = true),
  device_new: (s) => (s.device.numberHasHistory = true),
  device_session_mismatch: (s) => (s.device.sessionMismatch = true),
  multi_account: (s) => (s.device.numbersOnDevice = [3, 3, 3]),
  number_many_devices: (s) => (s.device.devicesOnNumber = [1, 1, 3]),
  device_rooted: (s) => (s.integrity.rooted = true),
  device_emulator: (s) => (s.integrity.emulator = true),
  app_integrity_failed: (s) => (s.integrity.appIntegrity = 'failed'),
  operator_changed: (s) => (s.operator.previous = 'OP_B'),
  operator_stable: (s) => (s.operator.previous = 'OP_A'),
  country_mismatch: (s) => (s.network.countryCode = 'BE'),
  network_stable: (s) => (s.network.connectionType = 'cellular'),
  vpn_detected: (s) => (s.network.vpn = true),
  proxy_detected: (s) => (s.network.proxy = true),
  connection_wifi: (s) => (s.network.connectionType = 'wifi'),
  velocity_spike: (s) => (s.velocity.number = [5, 5, 5]),
  repeated_failures: (s) => (s.velocity.failures = [3, 3, 3]),
};

describe('intelligence policy', () => {
  // A base in the middle, so no factor is hidden by the 0–100 clamp.
  const policy = { ...defaultPolicy('LOGIN'), base: 50, hardRules: [] };

  it('raises nothing but sim_stable on neutral signals', () => {
    expect(factorsOf(neutral(), policy)).toEqual(['sim_stable']);
  });

  describe.each(FACTOR_CODES)('factor %s', (code) => {
    it(`moves the risk score by its documented weight (${FACTORS[code].weight})`, () => {
      const signals = neutral();
      RAISE[code](signals);
      const raised = evaluate(signals, policy);
      expect(raised.factors.map((factor) => factor.code)).toContain(code);
      // The same signals with the factor's weight at 0: the difference is the factor's own effect.
      const without = evaluate(
        signals,
        completePolicy('LOGIN', { ...policy, weights: { ...policy.weights, [code]: 0 } }),
      );
      expect(raised.riskScore - without.riskScore).toBe(FACTORS[code].weight);
    });
  });

  describe.each(SERVICE_TYPES)('default hard rules of %s', (serviceType) => {
    const defaults = defaultPolicy(serviceType);
    it.each(defaults.hardRules.map((rule) => [rule.id, rule] as const))('fires %s', (_id, rule) => {
      const signals = neutral();
      for (const code of rule.factors) RAISE[code](signals);
      // Lowest possible score otherwise, so only the rule can decide.
      const evaluation = evaluate(signals, {
        ...defaults,
        base: 0,
        weights: Object.fromEntries(
          FACTOR_CODES.map((code) => [code, 0]),
        ) as typeof defaults.weights,
      });
      expect(evaluation.rules).toContain(rule.id);
      expect(evaluation.decision).toBe(rule.decision);
    });
  });

  it('blocks a SIM swapped 30 minutes ago on TRANSACTION whatever else is known', () => {
    const signals = neutral();
    RAISE.sim_swap_recent(signals);
    RAISE.sdk_verified(signals);
    RAISE.device_known(signals);
    expect(evaluate(signals, defaultPolicy('TRANSACTION')).decision).toBe('BLOCK');
  });

  it('fails closed where the policy says so, and never counts an unknown status as "not swapped"', () => {
    const signals = neutral();
    RAISE.sim_swap_unknown(signals);
    const open = evaluate(signals, defaultPolicy('LOGIN'));
    expect(open.rules).toEqual([]);
    expect(open.factors.map((factor) => factor.code)).not.toContain('sim_stable');
    const closed = evaluate(signals, defaultPolicy('TRANSACTION'));
    expect(closed).toMatchObject({ decision: 'REVIEW', rules: ['sim_swap_fail_closed'] });
  });

  it('caps the Detect anomaly score at 100 and recommends by threshold', () => {
    const signals = neutral();
    RAISE.multi_account(signals);
    RAISE.velocity_spike(signals);
    RAISE.repeated_failures(signals);
    signals.network.previousCountry = 'DE';
    const result = detect(signals, defaultPolicy('LOGIN'));
    expect(result.anomalies.map((anomaly) => anomaly.type)).toEqual([
      'MULTI_ACCOUNT',
      'VELOCITY_SPIKE',
      'REPEATED_FAILURES',
      'GEO_SHIFT',
    ]);
    expect(result.anomalyScore).toBe(100);
    expect(result.recommendedAction).toBe('BLOCK');
    expect(detect(neutral(), defaultPolicy('LOGIN'))).toEqual({
      anomalies: [],
      anomalyScore: 0,
      recommendedAction: 'ALLOW',
    });
  });

  it('is documented: the README lists every factor with its default weight', () => {
    const readme = readFileSync('README.md', 'utf8');
    // A table row `| code | weight |`, whatever padding the formatter aligns the columns with.
    for (const code of FACTOR_CODES)
      expect(readme).toMatch(
        new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${FACTORS[code].weight}\\s*\\|`),
      );
  });
});
