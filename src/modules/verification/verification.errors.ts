import { ApiError, CommonCodes } from '../../common/errors/api-error.js';

/** Stable codes of the verification flow (Authmatech contract), errors and negative verdicts alike. */
export const VerificationCodes = {
  invalidMobileNumber: 'INVALID_MOBILE_NUMBER',
  invalidProof: 'INVALID_ENCRYPTED_MOBILE_NUMBER',
  unknownOperator: 'INVALID_OPERATOR',
  productNotEnabled: 'PRODUCT_NOT_ENABLED',
  insufficientBalance: 'INSUFFICIENT_BALANCE',
  operatorUnavailable: 'OPERATOR_UNAVAILABLE',
  sandboxHeaderRefused: 'SANDBOX_HEADER_NOT_ALLOWED',
  transactionNotFound: 'TRANSACTION_NOT_FOUND',
  transactionExists: 'resource_already_exists',
  noEnrichmentResult: 'sdk_no_he_result',
} as const;

/** Why a verdict is negative: the WARNING message code of a `validNumber:false` answer. */
export const NegativeVerdicts = {
  PROOF_INVALID:
    'The proof cannot be decrypted with a current key (tampered, or its key has been retired).',
  PROOF_EXPIRED: 'The proof has expired; enrich the session again.',
  PROOF_NOT_ISSUED_TO_CLIENT: 'The proof was issued to another client.',
  OPERATOR_MISMATCH: 'The proof was issued for another operator.',
  SESSION_MISMATCH: 'The proof belongs to another SDK session.',
  PROOF_ALREADY_USED: 'The proof has already been used; each proof verifies once.',
  NUMBER_MISMATCH: 'The number does not match the number the operator identified.',
  UPSTREAM_NEGATIVE: 'The upstream service did not confirm the number.',
} as const;

export type NegativeVerdictCode = keyof typeof NegativeVerdicts;

export const operatorUnavailable = (): ApiError =>
  new ApiError(
    503,
    VerificationCodes.operatorUnavailable,
    'The operator did not answer in time; no verdict was reached. Retry later.',
  );

export const insufficientBalance = (): ApiError =>
  new ApiError(
    400,
    VerificationCodes.insufficientBalance,
    'The client has no verification credits left, or its balance has expired.',
  );

export const unknownOperator = (): ApiError =>
  new ApiError(400, VerificationCodes.unknownOperator, 'The operator is unknown or disabled.');

export const invalidProof = (): ApiError =>
  new ApiError(
    400,
    VerificationCodes.invalidProof,
    'encryptedMobileNumber is not a proof issued by header enrichment (compact JWE expected).',
  );

/** A web-variant transactionId that already names a session: each enrichment needs a new one. */
export const transactionExists = (): ApiError =>
  new ApiError(
    409,
    VerificationCodes.transactionExists,
    'An enrichment session with this transactionId already exists; start a new transaction.',
  );
export const transactionNotFound = (): ApiError =>
  new ApiError(
    404,
    VerificationCodes.transactionNotFound,
    'No enrichment session with this id exists for this client.',
  );

export const sandboxHeaderRefused = (): ApiError =>
  new ApiError(
    400,
    VerificationCodes.sandboxHeaderRefused,
    'X-Sandbox-Msisdn is accepted from SANDBOX clients only.',
  );

export const invalidSandboxNumber = (): ApiError =>
  new ApiError(
    400,
    VerificationCodes.invalidMobileNumber,
    'X-Sandbox-Msisdn must be a number in E.164 format.',
  );

export const clientNotFound = (): ApiError =>
  new ApiError(404, CommonCodes.notFound, 'No client with this id exists.');
