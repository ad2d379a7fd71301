// Loaded by main.ts only when tracing is on (tracing-settings.ts), and before any module it
// instruments is imported: with tracing off the gateway loads no OpenTelemetry package at all.
import { register } from 'node:module';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import {
  detectResources,
  resourceAttributesEnvDetector,
  resourceFromAttributes,
  serviceNameEnvDetector,
} from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
} from '@opentelemetry/sdk-trace';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { maskedPath, queryKeysOnly, redactedPath } from '../logging/redacted-path.js';
import type { TracingSampler, TracingSettings } from './tracing-settings.js';

export interface Tracing {
  /** Exports the spans still buffered, then stops; called on shutdown before the process exits. */
  shutdown(): Promise<void>;
}

/** Probes and scrapes every few seconds would bury the traces that matter. */
const UNTRACED_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

function pathOf(url: string | undefined): string {
  return (url ?? '').split('?')[0];
}

function samplerOf(settings: TracingSampler): Sampler {
  switch (settings.kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(settings.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.ratio) });
  }
}

/** The standard OTEL_BSP_* variables (SDK 3 leaves reading them to the caller). */
function positiveIntegerFromEnv(name: string): number | undefined {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * Starts the SDK: the ESM loader hook first, then the instrumentations, then waits until the loader
 * knows every module to wrap. Only after this resolves may main.ts import the application (fastify,
 * pg, axios, undici): a module imported earlier stays unpatched.
 */
export async function startTracing(
  settings: Extract<TracingSettings, { enabled: true }>,
): Promise<Tracing> {
  // import-in-the-middle wraps only the modules the instrumentations name (sent over this
  // channel), not every ES module the gateway imports: wrapping all of them is slower to start and
  // changes module shapes the application relies on.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const resource = resourceFromAttributes({ 'service.name': 'mobile-identity-gateway' }).merge(
    detectResources({ detectors: [resourceAttributesEnvDetector, serviceNameEnvDetector] }),
  );
  // Both exporters read OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT and _COMPRESSION.
  const exporter =
    settings.protocol === 'http/json'
      ? new OtlpJsonTraceExporter()
      : new OtlpProtobufTraceExporter();
  const provider = new TracerProvider({
    resource,
    sampler: samplerOf(settings.sampler),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: positiveIntegerFromEnv('OTEL_BSP_SCHEDULE_DELAY'),
        exportTimeoutMillis: positiveIntegerFromEnv('OTEL_BSP_EXPORT_TIMEOUT'),
        maxQueueSize: positiveIntegerFromEnv('OTEL_BSP_MAX_QUEUE_SIZE'),
        maxExportBatchSize: positiveIntegerFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  // W3C traceparent/tracestate (and baggage) in, out on every outgoing call (axios over node:http, fetch over undici).
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
  trace.setGlobalTracerProvider(provider);

  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has(pathOf(request.url)),
        // Spans leave the process like log lines: no phone number from a path, no query value
        // (the route pattern is added as http.route once Fastify has matched it).
        startIncomingSpanHook: (request) => {
          const [path, query] = (request.url ?? '').split('?', 2);
          return {
            'url.path': maskedPath(path),
            ...(query ? { 'url.query': queryKeysOnly(query) } : {}),
          };
        },
      }),
      new UndiciInstrumentation(),
      // Statements only, never their parameters (phone hashes, key hashes); and only inside a traced
      // request: migrations and jobs would otherwise make one root trace per statement.
      new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true }),
      // A span per request, hook and route handler (Nest's guards, pipes and interceptors run inside
      // the handler span), registered on Fastify's initialization diagnostics channel.
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: ({ url }: { url: string }) => UNTRACED_PATHS.has(url),
        // Its request span carries the raw url (query included): the route pattern instead.
        requestHook: (span, request) =>
          span.setAttribute('url.path', redactedPath(request.url, request.routeOptions.url)),
      }),
    ],
  });
  await waitForAllMessagesAcknowledged();
  return { shutdown: () => provider.shutdown() };
}
