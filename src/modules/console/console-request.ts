import type { FastifyRequest } from 'fastify';
import type { AuthenticatedConsoleUser } from '../../common/auth/caller.js';
import type { Actor } from '../credentials/credential-audit.js';
import { clientNotVisible, crossSiteRequest } from './console.errors.js';

/** The console user as the actor of a change made through another module's service. */
export function consoleActor(user: AuthenticatedConsoleUser, request: FastifyRequest): Actor {
  return {
    type: 'console_user',
    id: user.userId,
    contract: 'admin',
    credential: user.credential,
    correlationId: request.id,
  };
}

/** A client user reaches only the clients they are bound to; any other id is answered as unknown. */
export function requireOwnClient(user: AuthenticatedConsoleUser, clientId: string): string {
  if (!user.clientIds.includes(clientId)) throw clientNotVisible();
  return clientId;
}

/**
 * The routes that take no session (sign-in, invitations) refuse what a browser marks as sent by
 * another site. With JSON-only bodies (no CORS), this keeps other sites from signing someone in.
 */
export function requireSameOrigin(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw crossSiteRequest();
}
