import type { ServiceType } from '../verification/dto/verify.dto.js';

/**
 * What the gateway knew about one assessment, before any policy was applied. Stored with the
 * assessment (never an identifier in clear), so a backtest can apply another policy to exactly
 * what the original one saw. Ages are seconds before the assessment; counts include it.
 */
export interface Signals {
  serviceType: ServiceType;
  /** SIM swap recency, through the SimSwap module's operator routing. */
  simSwap: SwapSignal;
  /** Device swap recency (the number moved to another handset). */
  deviceSwap: SwapSignal;
  silent: SilentSignal;
  device: DeviceSignal;
  operator: { current: string | null; previous: string | null };
  network: NetworkSignal;
  integrity: {
    rooted: boolean | null;
    emulator: boolean | null;
    appIntegrity: 'passed' | 'failed' | 'unknown' | null;
  };
  velocity: VelocitySignal;
}

/**
 * `known` with `ageSeconds` null: no change within the operator's monitored period. A SIM that
 * was never swapped answers its activation date, so its age is the SIM's age. `unknown`: the
 * operator failed, was too slow or has no swap API; never the same as "not swapped".
 */
export type SwapSignal =
  { known: true; ageSeconds: number | null } | { known: false; reason: string };

interface SilentSignal {
  /** Whether the request named an SDK session. */
  session: boolean;
  /** Age of the newest positive verify of this number in this session, within the last 24 h. */
  successAgeSeconds: number | null;
  /** Age of the newest negative verify of this number in this session, within the last 24 h. */
  failureAgeSeconds: number | null;
}

interface DeviceSignal {
  /** Whether a device id was given (`device.deviceId`, or the SDK session's deviceIdHash). */
  given: boolean;
  /** This device was seen with this number before (any earlier assessment of the client). */
  seenWithNumber: boolean;
  /** The number was assessed before with some device. */
  numberHasHistory: boolean;
  /** `device.deviceId` differs from the deviceIdHash the SDK reported for the session. */
  sessionMismatch: boolean;
  /** Distinct numbers used on this device in [10 min, 1 h, 24 h], this one included. */
  numbersOnDevice: Windows;
  /** Distinct devices this number was used on in [10 min, 1 h, 24 h], this one included. */
  devicesOnNumber: Windows;
}

interface NetworkSignal {
  /** Country of the end user's IP as the caller reported it (`network.countryCode`). */
  countryCode: string | null;
  /** Country of the number's operator (routing by prefix). */
  numberCountry: string | null;
  /** The country of the number's previous assessment within 24 h. */
  previousCountry: string | null;
  connectionType: 'cellular' | 'wifi' | 'other' | null;
  vpn: boolean | null;
  proxy: boolean | null;
}

/** Counts in [10 min, 1 h, 24 h], the current assessment included. */
export type Windows = [number, number, number];

interface VelocitySignal {
  /** Assessments (Trust, Shield, Detect) of the number, the device and the IP. */
  number: Windows;
  device: Windows;
  ip: Windows;
  /** Verdicts of `POST /v1/api/verify` for the number, and the negative ones among them. */
  verifies: Windows;
  failures: Windows;
}

export const WINDOW_SECONDS = [600, 3_600, 86_400] as const;
export const WINDOW_NAMES = ['10m', '1h', '24h'] as const;
