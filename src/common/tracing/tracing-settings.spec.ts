import { EnvironmentError } from '../config/environment.js';
import { tracingSettings } from './tracing-settings.js';

describe('tracingSettings', () => {
  it('is off unless OTEL_TRACES_EXPORTER asks for otlp', () => {
    expect(tracingSettings({})).toEqual({ enabled: false });
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: '' })).toEqual({ enabled: false });
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'none' })).toEqual({ enabled: false });
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' })).toEqual({
      enabled: false,
    });
  });

  it('is on with otlp, http/protobuf and a parent-based always-on sampler by default', () => {
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({
      enabled: true,
      protocol: 'http/protobuf',
      sampler: { kind: 'parentbased_always_on' },
    });
  });

  it('takes the traces-specific protocol over the general one, and a ratio sampler with its argument', () => {
    expect(
      tracingSettings({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }),
    ).toEqual({
      enabled: true,
      protocol: 'http/json',
      sampler: { kind: 'parentbased_traceidratio', ratio: 0.25 },
    });
  });

  it('refuses what it cannot honour, naming each variable and never echoing its value', () => {
    const attempt = (): unknown =>
      tracingSettings({
        OTEL_TRACES_EXPORTER: 'jaeger-secret',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '7',
      });
    expect(attempt).toThrow(EnvironmentError);
    const { problems } = (() => {
      try {
        attempt();
      } catch (error) {
        return error as EnvironmentError;
      }
      throw new Error('no error');
    })();
    expect(problems.map((problem) => problem.split(':')[0])).toEqual([
      'OTEL_TRACES_EXPORTER',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_TRACES_SAMPLER_ARG',
    ]);
    expect(problems.join(' ')).not.toContain('jaeger-secret');
  });
});
