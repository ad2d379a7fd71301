import type { AuthmatechEnvelope, AuthmatechMessage } from './error-envelope.js';

const SUCCESS_MESSAGE: AuthmatechMessage = {
  type: 'SUCCESS',
  code: null,
  message: null,
  httpStatus: 'OK',
  technical: false,
  arguments: null,
};

/** A 200 answer exactly as the Authmatech seed shows it (key order included). Every module's Authmatech routes answer through these two. */
export function authmatechSuccess<T>(data: T): AuthmatechEnvelope<T> {
  return { success: true, messages: [{ ...SUCCESS_MESSAGE }], data };
}

/** A 200 answer whose outcome is negative but not an error (negative verdict, no enrichment result). */
export function authmatechWarning<T>(
  code: string,
  message: string,
  data: T,
): AuthmatechEnvelope<T> {
  return {
    success: true,
    messages: [
      { type: 'WARNING', code, message, httpStatus: 'OK', technical: false, arguments: null },
    ],
    data,
  };
}
