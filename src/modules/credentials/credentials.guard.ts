import { Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUTH_RULE, REQUIRED_PRODUCT, type AuthRule } from '../../common/auth/auth.decorators.js';
import type { AuthenticatedClient, Caller, ClientProduct } from '../../common/auth/caller.js';
import { ConsoleSessionAuthenticator } from '../../common/auth/console-session.js';
import { IS_PUBLIC } from '../../common/auth/public.decorator.js';
import { Environment } from '../../common/config/environment.js';
import { ApiError, productNotEnabled } from '../../common/errors/api-error.js';
import { MetricsService } from '../../common/metrics/metrics.service.js';
import { rateLimitHeaders } from '../../common/http/rate-limit-headers.js';
import type { RequestContext } from '../../common/http/request-context.js';
import { Authenticator } from './authenticator.service.js';
import {
  consoleSessionNotAccepted,
  tooManyRequests,
  unauthenticated,
} from './credentials.errors.js';
import { SourceThrottle } from './source-throttle.js';
import { RateLimiter } from './rate-limiter.service.js';

/**
 * The one guard in front of every route. Routes are closed unless `@Public()`; otherwise the
 * route's auth decorator says which credential it takes. Order: authenticate (uniform 401), then
 * rate-limit the authenticated client (so limits are keyed by who called, never by a spoofable
 * address, and unauthenticated noise cannot spend a client's quota), then check the product.
 */
@Injectable()
export class CredentialsGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
    private readonly limiter: RateLimiter,
    private readonly environment: Environment,
    private readonly metrics: MetricsService,
    private readonly sources: SourceThrottle,
    @Optional() private readonly consoleSessions?: ConsoleSessionAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const ctx = request.context;
    // Set by RequestContexts' onRequest hook for every HTTP request; missing means the app was wired without it.
    if (!ctx) throw new Error('no request context: RequestContexts did not run for this request');
    const rule = this.reflector.getAllAndOverride<AuthRule | undefined>(AUTH_RULE, targets);
    const contract = ctx.route.contract;
    if (!rule) throw unauthenticated(contract);

    let caller: Caller;
    try {
      caller = await this.authenticate(rule, request, ctx);
    } catch (error) {
      // Every authentication failure leaves as the contract's one 401, whatever raised it; a
      // source address that keeps failing is told to slow down instead.
      if (error instanceof ApiError && error.status === 401) {
        // A signed-in console user (any role) is known: the admin API refuses their session with
        // 403, as the console's own admin API does, rather than claiming nobody is signed in.
        if (
          rule.kind === 'admin' &&
          request.headers.authorization === undefined &&
          (await this.consoleSessions?.pageUser(request))
        )
          throw consoleSessionNotAccepted();
        await this.throttleFailures(ctx, context);
        throw unauthenticated(contract);
      }
      throw error;
    }
    ctx.caller = caller;
    if (caller.kind === 'client') {
      await this.limit(caller, ctx, context);
      const product = this.reflector.getAllAndOverride<ClientProduct | undefined>(
        REQUIRED_PRODUCT,
        targets,
      );
      if (product !== undefined && !caller.products.includes(product))
        throw productNotEnabled(contract);
    }
    return true;
  }

  private async authenticate(
    rule: AuthRule,
    request: FastifyRequest,
    ctx: RequestContext,
  ): Promise<Caller> {
    switch (rule.kind) {
      case 'api_key':
        return this.authenticator.apiKey(
          singleHeader(request, 'x-client-id'),
          singleHeader(request, 'x-api-key'),
        );
      case 'sdk_token':
        return this.authenticator.sdkToken(
          singleHeader(request, 'x-client-id'),
          singleHeader(request, 'x-sdk-token'),
        );
      case 'jwt': {
        // A jti is claimed with the request's audit event (one unit of work), not here: a request
        // that fails later leaves the token usable again.
        const { client, jwtClaim } = await this.authenticator.jwt(
          singleHeader(request, 'authorization'),
        );
        ctx.jwtClaim = jwtClaim;
        return client;
      }
      case 'admin':
        return this.authenticator.admin(singleHeader(request, 'authorization'), rule.role);
      case 'console':
        if (!this.consoleSessions) throw unauthenticated();
        return this.consoleSessions.authenticate(request, rule.roles);
    }
  }

  /**
   * Failed authentications are counted per source address in the shared limiter (so every
   * instance sees the same count), and answered 429 past AUTH_FAILURE_LIMIT_PER_MINUTE; the
   * source's next requests are then refused before they reach the guard (`SourceThrottle`).
   */
  private async throttleFailures(ctx: RequestContext, context: ExecutionContext): Promise<void> {
    const refused = await this.sources.countFailure(ctx.sourceIp);
    if (!refused) return;
    context.switchToHttp().getResponse<FastifyReply>().headers(refused.headers);
    throw refused;
  }

  private async limit(
    caller: AuthenticatedClient,
    ctx: RequestContext,
    context: ExecutionContext,
  ): Promise<void> {
    const perMinute =
      this.authenticator.rateLimitOf(caller) ??
      this.environment.DEFAULT_CLIENT_RATE_LIMIT_PER_MINUTE;
    const decisions = [await this.limiter.consume(`client:${caller.clientId}`, perMinute, 60_000)];
    if (!decisions[0].allowed) this.metrics.countRateLimitRefusal(ctx.route.contract, 'client');
    // CM.com documents 1 request/second per key for Identity Match; CAMARA has only the client limit.
    const perKey = this.environment.JWT_KEY_RATE_LIMIT_PER_SECOND;
    if (
      caller.credential.kind === 'jwt_key' &&
      perKey > 0 &&
      ctx.route.contract === 'identity_match'
    ) {
      const perKeyDecision = await this.limiter.consume(
        `jwt:${caller.credential.id}`,
        perKey,
        1_000,
      );
      if (!perKeyDecision.allowed)
        this.metrics.countRateLimitRefusal(ctx.route.contract, 'jwt_key');
      decisions.push(perKeyDecision);
    }
    const refused = decisions.flatMap((decision) =>
      decision.allowed ? [] : [decision.retryAfterSeconds],
    );
    // The headers tell the limit that binds: a refusing one, else the one with the fewest left.
    const binding =
      decisions.find((decision) => !decision.allowed) ??
      decisions.reduce((a, b) => (b.remaining < a.remaining ? b : a));
    const headers = rateLimitHeaders(binding);
    context.switchToHttp().getResponse<FastifyReply>().headers(headers);
    if (refused.length > 0) throw tooManyRequests(Math.max(...refused), headers);
  }
}

/**
 * The header's one value; undefined when missing or sent more than once (Node would join or drop
 * duplicates, so they are counted in the raw headers).
 */
function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const raw = request.raw.rawHeaders;
  let value: string | undefined;
  let seen = 0;
  for (let index = 0; index < raw.length; index += 2) {
    if (raw[index].toLowerCase() === name) {
      seen += 1;
      value = raw[index + 1];
    }
  }
  return seen === 1 ? value : undefined;
}
