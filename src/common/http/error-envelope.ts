import { STATUS_CODES } from 'node:http';
import type { Contract } from '../errors/api-error.js';

/** Spring-style status name, as the Authmatech envelope shows it: 400 → "BAD_REQUEST". */
export function httpStatusName(status: number): string {
  return (STATUS_CODES[status] ?? 'UNKNOWN').toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

export interface AuthmatechMessage {
  type: 'SUCCESS' | 'WARNING' | 'FAILURE';
  code: string | null;
  message: string | null;
  httpStatus: string;
  technical: boolean;
  arguments: null;
}

export interface AuthmatechEnvelope<T> {
  success: boolean;
  messages: AuthmatechMessage[];
  data: T | null;
}

/** The body of an error response, in the envelope of the contract the route belongs to. */
export function errorBody(
  contract: Contract,
  status: number,
  code: string,
  message: string,
): object {
  switch (contract) {
    case 'authmatech':
      return {
        success: false,
        messages: [
          {
            type: 'FAILURE',
            code,
            message,
            httpStatus: httpStatusName(status),
            technical: status >= 500,
            arguments: null,
          },
        ],
        data: null,
      } satisfies AuthmatechEnvelope<never>;
    case 'identity_match':
      return { state: 'error', code, message };
    case 'camara':
    case 'admin':
      return { status, code, message };
  }
}
