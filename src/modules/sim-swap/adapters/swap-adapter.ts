import type { UpstreamCall } from '../../../common/http/audit-facts.js';
import type { OperatorView } from '../../operators/operators.service.js';

/** SIM swap (CAMARA SIM Swap v2) or device swap (CAMARA Device Swap v1). */
export type SwapKind = 'sim' | 'device';

export interface SwapQuery {
  operator: OperatorView;
  kind: SwapKind;
  phoneNumber: string;
  /** Aborted when the deadline passes; adapters stop waiting then. */
  signal: AbortSignal;
  /** Correlation id of the caller's request, passed on to the operator. */
  correlationId: string;
  /** Every call the adapter makes is summarised here for the audit event. */
  upstream: UpstreamCall[];
}

/** CAMARA's retrieve-date answer, in our types. */
export interface SwapDate {
  /** Latest change, or the activation date when never changed (unlimited history); null otherwise. */
  latestChange: Date | null;
  /** Present with `latestChange: null` when a legal limit hides older history. */
  monitoredPeriodDays?: number;
}

/**
 * One way of asking an operator about swaps. The two operations mirror CAMARA's, so an operator
 * that speaks CAMARA is asked exactly what our caller asked. Failures are `SwapLookupError`s;
 * an adapter never guesses a verdict.
 */
export interface SwapAdapter {
  check(query: SwapQuery, maxAgeHours: number): Promise<boolean>;
  retrieveDate(query: SwapQuery): Promise<SwapDate>;
}
