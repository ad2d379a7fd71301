/**
 * The sandbox's fictitious subscribers (README "SIM swap and device swap"). Times are offsets
 * before the injected clock's now, so every answer is the same whenever the tests or a developer
 * run them. Numbers not listed here, on a sandbox operator, are unknown (404).
 */
export interface SandboxSubscriber {
  /** Seconds since the SIM was activated (shown when never swapped and history is unlimited). */
  activatedSecondsAgo: number;
  /** Seconds since the latest SIM swap; absent = never swapped. */
  simChangedSecondsAgo?: number;
  /** Seconds since the number moved to another device; absent = same device since activation. */
  deviceChangedSecondsAgo?: number;
  /** False: the number was never associated with a SIM (retrieve-date answers null). */
  associated: boolean;
  /** False: never connected to a device (device swap answers 422 SERVICE_NOT_APPLICABLE). */
  deviceConnected: boolean;
}

const MINUTE = 60;
const HOUR = 3_600;
const DAY = 86_400;
const ACTIVATED = 400 * DAY;

const swappedAgo = (seconds: number): SandboxSubscriber => ({
  activatedSecondsAgo: ACTIVATED,
  simChangedSecondsAgo: seconds,
  deviceChangedSecondsAgo: seconds,
  associated: true,
  deviceConnected: true,
});

const neverSwapped: SandboxSubscriber = {
  activatedSecondsAgo: ACTIVATED,
  associated: true,
  deviceConnected: true,
};

export const SANDBOX_ACTIVATED_SECONDS_AGO = ACTIVATED;

export const SANDBOX_SUBSCRIBERS: ReadonlyMap<string, SandboxSubscriber> = new Map([
  // Netherlands, operator SANDBOX_NL (+316, unlimited history)
  ['+31612345001', swappedAgo(30 * MINUTE)],
  ['+31612345002', swappedAgo(2 * HOUR)],
  ['+31612345003', swappedAgo(20 * HOUR)],
  ['+31612345004', swappedAgo(5 * DAY)],
  ['+31612345005', swappedAgo(12 * DAY)],
  ['+31612345006', swappedAgo(40 * DAY)],
  ['+31612345007', neverSwapped],
  ['+31612345008', { activatedSecondsAgo: ACTIVATED, associated: false, deviceConnected: false }],
  ['+31612345009', { activatedSecondsAgo: ACTIVATED, associated: true, deviceConnected: false }],
  // Jordan, the seeded operators ZAIN_JO (+96279), ORANGE_JO (+96277), UMNIAH_JO (+96278)
  ['+962791234001', swappedAgo(2 * HOUR)],
  ['+962771234001', swappedAgo(12 * DAY)],
  ['+962781234001', neverSwapped],
  // Germany, operator SANDBOX_DE (+4915, 30-day legal monitoring limit)
  ['+491511234001', swappedAgo(5 * DAY)],
  ['+491511234002', swappedAgo(40 * DAY)],
  ['+491511234003', neverSwapped],
]);
