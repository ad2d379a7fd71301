/** The wire contracts the gateway speaks; each has its own error envelope. */
export type Contract = 'authmatech' | 'camara' | 'identity_match' | 'admin';

/** A code that differs by contract (CAMARA says UNAUTHENTICATED where Authmatech says UNAUTHORIZED). */
export type ContractCodes = Record<Contract, string>;

/**
 * An error a caller is meant to see: its HTTP status, a stable machine-readable code, and a
 * message written for integrators. Messages never contain submitted values.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | ContractCodes,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  codeFor(contract: Contract): string {
    return typeof this.code === 'string' ? this.code : this.code[contract];
  }
}

const sameEverywhere = (code: string): ContractCodes => ({
  authmatech: code,
  camara: code,
  identity_match: code,
  admin: code,
});

/** Codes for failures any route can produce, spelled as each contract spells them. */
export const CommonCodes = {
  malformedBody: {
    authmatech: 'MALFORMED_REQUEST',
    camara: 'INVALID_ARGUMENT',
    identity_match: 'INVALID_REQUEST',
    admin: 'INVALID_ARGUMENT',
  },
  validation: {
    authmatech: 'VALIDATION_ERROR',
    camara: 'INVALID_ARGUMENT',
    identity_match: 'INVALID_REQUEST',
    admin: 'INVALID_ARGUMENT',
  },
  unauthenticated: {
    authmatech: 'UNAUTHORIZED',
    camara: 'UNAUTHENTICATED',
    identity_match: 'UNAUTHORIZED',
    admin: 'UNAUTHENTICATED',
  },
  forbidden: {
    authmatech: 'FORBIDDEN',
    camara: 'PERMISSION_DENIED',
    identity_match: 'FORBIDDEN',
    admin: 'PERMISSION_DENIED',
  },
  productNotEnabled: {
    authmatech: 'PRODUCT_NOT_ENABLED',
    camara: 'PERMISSION_DENIED',
    identity_match: 'PRODUCT_NOT_ENABLED',
    admin: 'PERMISSION_DENIED',
  },
  notFound: sameEverywhere('NOT_FOUND'),
  methodNotAllowed: sameEverywhere('METHOD_NOT_ALLOWED'),
  payloadTooLarge: sameEverywhere('PAYLOAD_TOO_LARGE'),
  headersTooLarge: sameEverywhere('HEADERS_TOO_LARGE'),
  unsupportedMediaType: sameEverywhere('UNSUPPORTED_MEDIA_TYPE'),
  tooManyRequests: sameEverywhere('TOO_MANY_REQUESTS'),
  internal: {
    authmatech: 'INTERNAL_ERROR',
    camara: 'INTERNAL',
    identity_match: 'INTERNAL_ERROR',
    admin: 'INTERNAL',
  },
  unavailable: {
    authmatech: 'SERVICE_UNAVAILABLE',
    camara: 'UNAVAILABLE',
    identity_match: 'SERVICE_UNAVAILABLE',
    admin: 'UNAVAILABLE',
  },
  timeout: sameEverywhere('TIMEOUT'),
} satisfies Record<string, ContractCodes>;

/**
 * The status of "the client has not enabled this route's product": Authmatech documents 400 for
 * it; CAMARA and Identity Match use 403, as for any operation the caller may not perform.
 */
export function productNotEnabledStatus(contract: Contract): number {
  return contract === 'authmatech' ? 400 : 403;
}

/**
 * The client has not enabled the route's product (status and codes per contract:
 * `CommonCodes.productNotEnabled`). One factory for the guard and for the verify flow's own check.
 */
export function productNotEnabled(contract: Contract = 'authmatech'): ApiError {
  return new ApiError(
    productNotEnabledStatus(contract),
    CommonCodes.productNotEnabled,
    'The product is not enabled for this client.',
  );
}

/** The generic code for a status, used when a framework error carries only a status. */
export function commonCodeForStatus(status: number): ContractCodes {
  switch (status) {
    case 400:
      return CommonCodes.validation;
    case 401:
      return CommonCodes.unauthenticated;
    case 403:
      return CommonCodes.forbidden;
    case 404:
      return CommonCodes.notFound;
    case 405:
      return CommonCodes.methodNotAllowed;
    case 413:
      return CommonCodes.payloadTooLarge;
    case 415:
      return CommonCodes.unsupportedMediaType;
    case 431:
      return CommonCodes.headersTooLarge;
    case 429:
      return CommonCodes.tooManyRequests;
    case 503:
      return CommonCodes.unavailable;
    case 504:
      return CommonCodes.timeout;
    default:
      return status >= 500 ? CommonCodes.internal : CommonCodes.validation;
  }
}
