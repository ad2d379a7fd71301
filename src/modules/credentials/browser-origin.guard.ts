import {
  applyDecorators,
  Injectable,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { callerOf } from '../../common/auth/auth.decorators.js';
import { auditFacts } from '../../common/http/audit-facts.js';
import { ApiErrors } from '../../common/openapi/api-docs.decorators.js';
import { BrowserFacingRoute } from './browser-cors.js';
import { BrowserOrigins } from './browser-origins.service.js';
import { CredentialsCodes, originNotAllowed } from './credentials.errors.js';

/**
 * Sent by the gateway's own check page (the web variant's iframe) with the origin of the page
 * that embeds it, as the browser reported it to the iframe. Requests of the check page are
 * same-origin, so they carry no Origin header of their own.
 */
export const EMBEDDING_ORIGIN_HEADER = 'x-embedding-origin';

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * The origin of the browser page behind a request; undefined when no page is involved (a
 * native app or a server never sends Origin). Browsers set Origin and Sec-Fetch-Site themselves:
 * a page cannot forge them.
 */
function browserOriginOf(request: FastifyRequest): string | undefined {
  const origin = single(request.headers.origin);
  const sameOrigin = single(request.headers['sec-fetch-site']) === 'same-origin';
  if (origin !== undefined && !sameOrigin) return origin;
  return single(request.headers[EMBEDDING_ORIGIN_HEADER]) ?? origin;
}

/**
 * Runs after the global CredentialsGuard, so the client is authenticated: a browser page may
 * use the endpoint only when that client allows the page's origin. (The preflight could only
 * check that some client allows it.)
 */
@Injectable()
class BrowserOriginGuard implements CanActivate {
  constructor(private readonly origins: BrowserOrigins) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const origin = browserOriginOf(request);
    if (origin === undefined) return true;
    const caller = callerOf(request);
    if (caller?.kind === 'client' && (await this.origins.allows(caller.clientId, origin)))
      return true;
    const facts = auditFacts(request);
    facts.detail = { ...facts.detail, origin: origin.slice(0, 200) };
    throw originNotAllowed();
  }
}

/**
 * A device-side route that browser pages may call: CORS answers with the client's allowed
 * origins (BrowserCors), and a page of any other origin is refused (BrowserOriginGuard).
 */
export const BrowserFacing = (): MethodDecorator =>
  applyDecorators(
    BrowserFacingRoute(),
    UseGuards(BrowserOriginGuard),
    ApiErrors({ 403: [CredentialsCodes.originNotAllowed] }),
  );
