import type { HealthIndicatorResult } from '@nestjs/terminus';

/**
 * A module's part of readiness (e.g. the audit trail can be appended to). Modules provide
 * implementations under this class; the health controller runs every one it finds.
 */
export abstract class ReadinessCheck {
  abstract check(): Promise<HealthIndicatorResult>;
}
