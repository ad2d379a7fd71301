import { ApiError, CommonCodes } from '../../common/errors/api-error.js';

/** The console's own codes (the console speaks the admin envelope). */
export const ConsoleCodes = {
  signInFailed: 'SIGN_IN_FAILED',
  invitationInvalid: 'INVITATION_INVALID',
  weakPassword: 'WEAK_PASSWORD',
  totpCodeInvalid: 'TOTP_CODE_INVALID',
  currentPasswordWrong: 'CURRENT_PASSWORD_WRONG',
  userExists: 'USER_EXISTS',
  conflict: 'CONFLICT',
} as const;

/**
 * Every failed sign-in gets this one answer (unknown email, wrong password, wrong or missing code,
 * locked or disabled account), so the answer tells nobody which accounts exist or which part was wrong.
 */
export function signInFailed(): ApiError {
  return new ApiError(
    401,
    ConsoleCodes.signInFailed,
    'Sign-in failed. Check the email, password and authentication code. After repeated failures the account is locked for a while.',
  );
}

export function invitationInvalid(): ApiError {
  return new ApiError(
    400,
    ConsoleCodes.invitationInvalid,
    'The invitation link is invalid, already used or expired. Ask an administrator for a new one.',
  );
}

export function weakPassword(reason: string): ApiError {
  return new ApiError(400, ConsoleCodes.weakPassword, reason);
}

export function totpCodeInvalid(): ApiError {
  return new ApiError(
    400,
    ConsoleCodes.totpCodeInvalid,
    'The authentication code is wrong or expired.',
  );
}

export function currentPasswordWrong(): ApiError {
  return new ApiError(400, ConsoleCodes.currentPasswordWrong, 'The current password is wrong.');
}

export function userExists(): ApiError {
  return new ApiError(
    409,
    ConsoleCodes.userExists,
    'A console user with this email already exists.',
  );
}

export function userNotFound(): ApiError {
  return new ApiError(404, CommonCodes.notFound, 'The console user does not exist.');
}

/** A client a client user is not bound to is answered as if it did not exist. */
export function clientNotVisible(): ApiError {
  return new ApiError(404, CommonCodes.notFound, 'The client does not exist.');
}

export function invalidClientBinding(reason: string): ApiError {
  return new ApiError(400, CommonCodes.validation, reason);
}

export function ownAccount(): ApiError {
  return new ApiError(409, ConsoleCodes.conflict, 'You cannot disable or reset your own account.');
}

export function runNotFound(): ApiError {
  return new ApiError(404, CommonCodes.notFound, 'The verification run does not exist.');
}

export function crossSiteRequest(): ApiError {
  return new ApiError(
    403,
    CommonCodes.forbidden,
    'Cross-site requests are not accepted by the console.',
  );
}

/** Any session failure (none, expired, cross-site, CSRF mismatch): one answer, whatever was wrong. */
export function consoleUnauthenticated(): ApiError {
  return new ApiError(401, CommonCodes.unauthenticated, 'Unauthorized');
}

export function roleNotAllowed(): ApiError {
  return new ApiError(403, CommonCodes.forbidden, 'Your role does not allow this.');
}

/** An unknown console API path or a missing asset: a JSON 404, never the HTML shell. */
export function consoleResourceNotFound(): ApiError {
  return new ApiError(404, CommonCodes.notFound, 'The requested resource does not exist.');
}
