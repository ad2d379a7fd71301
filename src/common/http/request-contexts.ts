import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Environment } from '../config/environment.js';
import { RequestContext, type RouteFacts } from './request-context.js';
import { RouteFactsRegistry } from './route-facts.js';

/** Node reads header bytes as Latin-1; a User-Agent sent as UTF-8 (as browsers do) is decoded back. */
function userAgentOf(request: FastifyRequest): string | undefined {
  const header = request.headers['user-agent'];
  if (typeof header !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(header)) return header;
  const utf8 = Buffer.from(header, 'latin1').toString('utf8');
  return utf8.includes('\uFFFD') ? header : utf8;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's facts, filled when the route is registered (see `configureApp`). */
    routeFacts?: RouteFacts;
  }
}

/** Creates each request's context on arrival, with its route's facts and its deadline. */
@Injectable()
export class RequestContexts {
  constructor(
    private readonly facts: RouteFactsRegistry,
    private readonly environment: Environment,
  ) {}

  of(request: FastifyRequest): RequestContext {
    request.context ??= this.create(request);
    return request.context;
  }

  private create(request: FastifyRequest): RequestContext {
    // Partial: the checks stay in case a request reaches here before routing gave it options.
    const options = request.routeOptions as Partial<FastifyRequest['routeOptions']> | undefined;
    const route = options?.config?.routeFacts ?? this.facts.forUnmatched(request.url);
    const now = performance.now();
    return new RequestContext(
      request.method,
      request.id,
      request.ip,
      userAgentOf(request),
      route,
      now,
      now + (route.deadlineMs ?? this.environment.REQUEST_DEADLINE_MS),
    );
  }
}
