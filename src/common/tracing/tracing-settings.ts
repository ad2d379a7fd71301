import { EnvironmentError } from '../config/environment.js';

/** OTLP over HTTP: the two encodings the gateway's exporters speak (gRPC would add @grpc/grpc-js to the image). */
type OtlpProtocol = 'http/protobuf' | 'http/json';

export type TracingSampler =
  | { kind: 'always_on' | 'always_off' | 'parentbased_always_on' | 'parentbased_always_off' }
  | { kind: 'traceidratio' | 'parentbased_traceidratio'; ratio: number };

export type TracingSettings =
  { enabled: false } | { enabled: true; protocol: OtlpProtocol; sampler: TracingSampler };

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/**
 * Whether and how to trace, from the standard OpenTelemetry variables alone (no gateway switch):
 * on with `OTEL_TRACES_EXPORTER=otlp`, off when it is unset or `none`, or with `OTEL_SDK_DISABLED=true`.
 * Unlike the OpenTelemetry default (otlp when unset), unset means off: a gateway without a collector
 * must not pay for spans nor retry exports to localhost:4318.
 *
 * This module imports no OpenTelemetry package: main.ts reads it before deciding to load any.
 * The exporter itself reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT / _HEADERS / _TIMEOUT / _COMPRESSION,
 * and the resource OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES.
 */
// Messages name the variable and the accepted values, never the submitted value (as validateEnvironment).
export function tracingSettings(env: NodeJS.ProcessEnv): TracingSettings {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return { enabled: false };
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  if (exporters.length === 0 || exporters.every((name) => name === 'none'))
    return { enabled: false };
  const problems: string[] = [];
  const unsupported = exporters.filter((name) => name !== 'otlp' && name !== 'none');
  if (unsupported.length > 0) {
    problems.push('OTEL_TRACES_EXPORTER: only otlp (tracing on) and none (off) are supported');
  }

  const protocolVariable = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = (env[protocolVariable] ?? '').trim() || 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    problems.push(`${protocolVariable}: only http/protobuf (default) and http/json are supported`);
  }

  const samplerName =
    (env.OTEL_TRACES_SAMPLER ?? '').trim().toLowerCase() || 'parentbased_always_on';
  let sampler: TracingSampler = { kind: 'parentbased_always_on' };
  if (!(SAMPLERS as readonly string[]).includes(samplerName)) {
    problems.push(`OTEL_TRACES_SAMPLER: must be one of ${SAMPLERS.join(', ')}`);
  } else if (samplerName === 'traceidratio' || samplerName === 'parentbased_traceidratio') {
    const raw = (env.OTEL_TRACES_SAMPLER_ARG ?? '').trim();
    const ratio = raw === '' ? 1 : Number(raw);
    if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1)
      problems.push('OTEL_TRACES_SAMPLER_ARG: must be a ratio between 0 and 1');
    sampler = { kind: samplerName, ratio };
  } else {
    sampler = {
      kind: samplerName as Exclude<
        TracingSampler['kind'],
        'traceidratio' | 'parentbased_traceidratio'
      >,
    };
  }

  if (problems.length > 0) throw new EnvironmentError(problems);
  return { enabled: true, protocol: protocol as OtlpProtocol, sampler };
}
