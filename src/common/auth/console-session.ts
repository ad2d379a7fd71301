import type { FastifyRequest } from 'fastify';
import type { AuthenticatedConsoleUser, ConsoleRole } from './caller.js';

/**
 * Checks a console request's session cookie (and CSRF token on state-changing methods) for the
 * one global guard. Implemented by the ConsoleModule; the guard lives in CredentialsModule, which
 * the console depends on, so it reaches the implementation through this token instead of an import.
 * Throws a 401 ApiError for any authentication failure (the guard makes them uniform) and a 403
 * when the user is signed in but their role is not one of `roles`.
 */
export abstract class ConsoleSessionAuthenticator {
  abstract authenticate(
    request: FastifyRequest,
    roles: ConsoleRole[],
  ): Promise<AuthenticatedConsoleUser>;

  /** The user of the request's live console session, if it carries one (no CSRF or role check). */
  abstract pageUser(request: FastifyRequest): Promise<AuthenticatedConsoleUser | undefined>;
}
