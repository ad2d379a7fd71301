import { ApiError } from '../../common/errors/api-error.js';

export const SwapUpstreamCodes = {
  unauthenticated: 'UNAUTHENTICATED',
  invalidArgument: 'INVALID_ARGUMENT',
  gone: 'GONE',
  unavailable: 'UNAVAILABLE',
} as const;

export const SwapUpstreamErrors = {
  /** One answer whatever was wrong (unknown id, no token, wrong token), so nothing is learnt from it. */
  unauthenticated: (): ApiError =>
    new ApiError(
      401,
      SwapUpstreamCodes.unauthenticated,
      'Request not authenticated due to missing, invalid, or expired credentials.',
    ),
  invalidEvent: (why: string): ApiError =>
    new ApiError(
      400,
      SwapUpstreamCodes.invalidArgument,
      `The notification is not a valid CloudEvent of this subscription: ${why}.`,
    ),
  gone: (): ApiError =>
    new ApiError(
      410,
      SwapUpstreamCodes.gone,
      'This subscription has ended: send no more notifications for it.',
    ),
} as const;
