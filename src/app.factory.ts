import type { Type } from '@nestjs/common';
import { DiscoveryService, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { fastifyRequestContext } from '@fastify/request-context';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { AppModule, UNIT_OF_WORK_INTERCEPTORS } from './app.module.js';
import { Environment, validateEnvironment } from './common/config/environment.js';
import { ApiError, CommonCodes } from './common/errors/api-error.js';
import {
  CORRELATION_HEADER,
  correlationIdOf,
  hasInvalidCorrelator,
} from './common/http/correlation.js';
import { RequestContexts } from './common/http/request-contexts.js';
import { handlerRoutesOf, RouteFactsRegistry } from './common/http/route-facts.js';
import { isIntercepted } from './common/http/route-interceptors.js';
import { RouteTable } from './common/http/route-table.js';
import { LIVENESS_ANSWER, LIVENESS_PATH } from './common/health/health.controller.js';
import { logCompletedRequest } from './common/logging/logging.module.js';
import { MetricsEndpoint } from './common/metrics/metrics-endpoint.js';
import { MetricsService } from './common/metrics/metrics.service.js';
import { SourceThrottle } from './modules/credentials/source-throttle.js';
import { createOpenApiDocument, OPENAPI_DOCUMENT } from './common/openapi/openapi-document.js';

export type EnvironmentOverrides = Record<string, string | undefined>;

/**
 * Start-up check: every handler a unit-of-work rule selects has that interceptor (a controller
 * outside `FEATURE_MODULES`, such as a test's probe module, would otherwise change state
 * without its request transaction).
 */
function assertUnitOfWorkInterceptors(app: NestFastifyApplication): void {
  const missing: string[] = [];
  for (const wrapper of app.get(DiscoveryService).getControllers()) {
    const controller = wrapper.metatype as Type | undefined;
    if (!controller) continue;
    for (const handler of handlerRoutesOf(controller)) {
      for (const rule of UNIT_OF_WORK_INTERCEPTORS) {
        if (rule.appliesTo(handler) && !isIntercepted(handler.handler, rule.interceptor)) {
          missing.push(`${controller.name}.${handler.handler.name} lacks ${rule.interceptor.name}`);
        }
      }
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `routes without their unit-of-work interceptor (pass their module to attachRouteInterceptors): ${missing.join('; ')}`,
    );
  }
}

export function createFastifyAdapter(environment: Environment): FastifyAdapter {
  const trustedProxies = environment.TRUSTED_PROXIES.split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return new FastifyAdapter({
    bodyLimit: environment.BODY_LIMIT_BYTES,
    // X-Forwarded-For is believed only from configured proxies; otherwise the TCP peer is the client.
    trustProxy: trustedProxies.length > 0 ? trustedProxies : false,
    genReqId: correlationIdOf,
    requestIdHeader: false,
    logger: false,
    // `//v1/api/verify` reaches the same route (and its audit and limits) as `/v1/api/verify`.
    routerOptions: { ignoreDuplicateSlashes: true },
  });
}

/**
 * Everything about the HTTP application that is not a provider: hooks, logger, shutdown and
 * OpenAPI. (Errors Fastify raises itself, such as body parsing, reach the global exception filter
 * through Nest's Fastify error handler.) `main.ts` and the HTTP tests both
 * call it, so tests exercise the served configuration.
 */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  const fastify = app.getHttpAdapter().getInstance();
  const routes = app.get(RouteTable);
  const facts = app.get(RouteFactsRegistry);
  const contexts = app.get(RequestContexts);
  const sources = app.get(SourceThrottle);

  assertUnitOfWorkInterceptors(app);
  fastify.decorateRequest('context', null);
  // An async context per request: every log line written while serving it carries its correlation id.
  void fastify.register(fastifyRequestContext, {
    defaultStoreValues: (request) => ({ correlationId: request.id }),
  });
  fastify.addHook('onRoute', (route) => {
    routes.add(route.method, route.url);
    // A route's contract, audit and action are fixed here, once: requests read them from the route.
    const methods = [route.method].flat();
    route.config = { ...route.config, routeFacts: facts.forRoute(methods[0], route.url) };
  });
  // Only JSON is accepted; without this, text/plain bodies would reach validation as strings.
  fastify.removeContentTypeParser('text/plain');
  // CloudEvents in structured mode (operators' notifications) are JSON under their own media type.
  fastify.addContentTypeParser(
    'application/cloudevents+json',
    { parseAs: 'string' },
    fastify.getDefaultJsonParser('error', 'error'),
  );
  fastify.addHook(
    'onRequest',
    (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
      const ctx = contexts.of(request);
      reply.header(CORRELATION_HEADER, request.id);
      // API answers may carry secrets (new keys, SDK tokens, client secrets): no cache keeps any.
      if (ctx.route.audited) reply.header('cache-control', 'no-store');
      if (hasInvalidCorrelator(request.raw)) {
        done(
          new ApiError(
            400,
            CommonCodes.validation,
            'The x-correlator header does not match the allowed pattern.',
          ),
        );
        return;
      }
      // A source past the failed-authentication limit is refused here, before any other work (its
      // refusals are rolled up in the trail like its failures).
      const throttled = ctx.route.audited ? sources.refusalAtTheDoor(ctx.sourceIp) : undefined;
      if (throttled) {
        void reply.headers(throttled.headers);
        sources.answerRefusal(() => {
          done(throttled);
        });
        return;
      }
      // The liveness probe checks no dependency, and orchestrators call it often: it is answered
      // here, without Nest's handler pipeline (guard, interceptors, pipes), which cost a third of its
      // CPU. The controller's route stays: it is what the document, the route table and 405s know.
      if (ctx.route.pattern === LIVENESS_PATH && request.method === 'GET') {
        void reply.send(LIVENESS_ANSWER);
        return;
      }
      done();
    },
  );

  const metrics = app.get(MetricsService);
  fastify.addHook(
    'onResponse',
    (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      // Every request has its context (onRequest); its route facts name the route pattern, never the raw path.
      if (request.context)
        metrics.observeRequest(
          request.context.route,
          request.method,
          reply.statusCode,
          reply.elapsedTime / 1000,
        );
      logCompletedRequest(request, reply);
      done();
    },
  );
  app.get(MetricsEndpoint).attach(fastify);

  app.useLogger(app.get(Logger));
  // Logs of the start-up are buffered (createApp) and written only once the app exists: a failed
  // start prints its one line, not Nest's stack trace of the same error.
  app.flushLogs();

  let document: OpenAPIObject | undefined;
  const documentOf = (): OpenAPIObject => (document ??= createOpenApiDocument(app));
  // The same document whether or not it is served: the HTTP tests validate every response against it.
  fastify.decorate(OPENAPI_DOCUMENT, documentOf);
  if (app.get(Environment).API_DOCS_ENABLED) {
    SwaggerModule.setup('docs', app, documentOf, {
      jsonDocumentUrl: 'docs/openapi.json',
      yamlDocumentUrl: 'docs/openapi.yaml',
    });
  }
  return app;
}

export async function createApp(
  overrides: EnvironmentOverrides = {},
): Promise<NestFastifyApplication> {
  const environment = validateEnvironment({ ...process.env, ...overrides });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(overrides),
    createFastifyAdapter(environment),
    { bufferLogs: true, autoFlushLogs: false, abortOnError: false, bodyParser: false },
  );
  return configureApp(app);
}
