import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay, { type HTTPMethod, type HTTPVersion, type Instance } from 'find-my-way';
import { RequestContexts } from '../../common/http/request-contexts.js';
import { RouteFactsRegistry } from '../../common/http/route-facts.js';
import { RequestAudit } from '../audit/request-audit.service.js';
import { BrowserOrigins } from './browser-origins.service.js';
import { originNotAllowed } from './credentials.errors.js';
import { fastifyOf } from '../../common/http/fastify-instance.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by `@BrowserFacing()`: browser pages may call the route (CORS per client). */
    browserFacing?: boolean;
  }
}

/** Marks a route as callable from browser pages: CORS answers for it, per client (`BrowserCors`). */
export const BrowserFacingRoute = (): MethodDecorator => RouteConfig({ browserFacing: true });

/** The headers the Web SDK sends; nothing else is allowed across origins. */
const ALLOWED_HEADERS = ['x-sdk-token', 'x-client-id', 'content-type', 'x-correlator'];
/** What the page may read of an answer besides the body. */
const EXPOSED_HEADERS = ['x-correlator', 'retry-after'];
/** Seconds a browser may reuse a preflight answer (Chromium caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

const DISABLED: FastifyCorsOptions = { origin: false };

/**
 * CORS for the device-side endpoints, with the origins each client allows (BrowserOrigins), on
 * top of @fastify/cors. Every other route answers no CORS headers, so a page can never read the
 * server-side API (API keys, verify) even if a key leaked into it.
 *
 * - A preflight carries no credentials, so it can only be judged by whether *some* client allows
 *   the origin; an origin no client allows is refused there (403, audited). Allowed preflights
 *   are audited too before the 204 leaves, as every request to the public API is.
 * - The request itself carries the client id: its answer gets `Access-Control-Allow-Origin`
 *   only when that client allows the origin (so the SDK can read a 401 from an allowed page),
 *   and `BrowserOriginGuard` refuses it after authentication when the authenticated client does
 *   not: the handler never runs for a page of an origin its client did not allow.
 */
@Injectable()
export class BrowserCors implements OnApplicationBootstrap {
  /** Browser-facing routes by method and path, to judge preflights (they match @fastify/cors's `OPTIONS *`). */
  private readonly routes: Instance<HTTPVersion.V1> = FindMyWay();

  constructor(
    private readonly origins: BrowserOrigins,
    private readonly requests: RequestAudit,
    private readonly contexts: RequestContexts,
    private readonly routeFacts: RouteFactsRegistry,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    // Providers are built before Nest registers routes, so this hook sees every route. Only the
    // browser-facing routes get the CORS hook; every other request pays nothing for CORS.
    this.fastify()?.addHook('onRoute', (route) => {
      if (route.config?.browserFacing !== true) return;
      for (const method of [route.method].flat())
        this.routes.on(method as HTTPMethod, route.url, () => undefined, { pattern: route.url });
      route.onRequest = [
        ...[route.onRequest ?? []].flat(),
        (request, reply, done) => {
          this.answerHeaders(request, reply, done);
        },
      ];
    });
  }

  /**
   * Preflights: @fastify/cors in a plugin context of its own, whose hook serves only its
   * `OPTIONS *` route, so other requests never reach it. After Nest set its error and not-found
   * handlers, so CORS refusals answer in the contract's envelope.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.fastify()?.register(async (preflights) => {
      await preflights.register(fastifyCors, {
        hook: 'onRequest',
        delegator: (request: FastifyRequest) => this.preflightOptions(request),
      });
    });
  }

  /**
   * A browser-facing request (not a preflight) gets `Access-Control-Allow-Origin` only when the
   * client it names allows its origin; without an Origin header there is nothing to do.
   */
  private answerHeaders(
    request: FastifyRequest,
    reply: FastifyReply,
    done: (error?: Error) => void,
  ): void {
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    const clientId = request.headers['x-client-id'];
    // The claimed client: if the credentials turn out not to be its, the request fails with 401.
    if (typeof origin !== 'string' || typeof clientId !== 'string') {
      done();
      return;
    }
    this.origins.allows(clientId, origin).then(
      (allowed) => {
        if (allowed) {
          reply.header('access-control-allow-origin', origin);
          reply.header('access-control-expose-headers', EXPOSED_HEADERS.join(', '));
        }
        done();
      },
      (error: unknown) => {
        done(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  private fastify(): FastifyInstance | undefined {
    return fastifyOf(this.adapterHost);
  }

  private async preflightOptions(request: FastifyRequest): Promise<FastifyCorsOptions> {
    const origin = request.headers.origin;
    const requestedMethod = request.headers['access-control-request-method'];
    if (
      request.method !== 'OPTIONS' ||
      typeof requestedMethod !== 'string' ||
      typeof origin !== 'string'
    )
      return DISABLED;
    const method = requestedMethod.toUpperCase() as HTTPMethod;
    const target = this.routes.find(method, pathOf(request.raw.url));
    if (!target) return DISABLED;
    // The preflight is judged, and audited, as a request to the route it asks about.
    const ctx = this.contexts.of(request);
    ctx.route = {
      ...this.routeFacts.forRoute(method, (target.store as { pattern: string }).pattern),
      action: 'cors.preflight',
      unitOfWork: 'own',
    };
    ctx.audit.detail = { origin: origin.slice(0, 200), method: requestedMethod.slice(0, 10) };
    if (!(await this.origins.allowedByAnyClient(origin))) throw originNotAllowed();
    // Recorded before @fastify/cors sends the 204 from this hook (no answer without its event).
    await this.requests.commit(ctx, { ok: { status: 204 } });
    return {
      origin,
      methods: [method],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    };
  }
}

/** The path of a request target, also in absolute form (`http://host/path`); without the query. */
function pathOf(target: string | undefined): string {
  const raw = target ?? '/';
  if (raw.startsWith('/')) return raw.split('?', 1)[0];
  try {
    return new URL(raw).pathname;
  } catch {
    return '/';
  }
}
