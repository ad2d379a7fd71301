import { failuresOf, runLoad, type LoadResult, type LoadSpec } from './load.js';
import { cpuSecondsOf, cutProfile, memoryOf, resetPeakRss, type Service } from './processes.js';

export interface HttpFigures {
  requestsPerSecond: number;
  requests: number;
  durationSeconds: number;
  latencyMs: LoadResult['latencyMs'];
  failures: number;
  non2xx: number;
  errors: number;
  wrongVerdicts: number;
  statusCodes: Record<string, number>;
  failureSamples?: Record<string, string>;
  peakRssMb: number;
  /** The gateway's CPU time (user + system) per request of the measured run, in µs. */
  gatewayCpuMicrosPerRequest?: number;
}

export function figuresOf(result: LoadResult, peakRssMb: number, cpuSeconds?: number): HttpFigures {
  return {
    requestsPerSecond: Math.round(result.requestsPerSecond),
    requests: result.requests,
    durationSeconds: result.durationSeconds,
    latencyMs: result.latencyMs,
    failures: failuresOf(result),
    non2xx: result.non2xx,
    errors: result.errors,
    wrongVerdicts: result.wrongVerdicts,
    statusCodes: result.statusCodes,
    failureSamples:
      Object.keys(result.failureSamples).length > 0 ? result.failureSamples : undefined,
    peakRssMb: Math.round(peakRssMb),
    gatewayCpuMicrosPerRequest:
      cpuSeconds === undefined || result.requests === 0
        ? undefined
        : Math.round((cpuSeconds * 1e6) / result.requests),
  };
}

/**
 * Measures one route with a constant request: a warm-up run (JIT, pools, caches), then the
 * measured run, with the service's peak RSS counter reset in between.
 */
export async function measureConstant(
  service: Service,
  spec: Omit<LoadSpec, 'url' | 'durationSeconds' | 'amount'>,
  options: { warmupSeconds: number; durationSeconds: number; profileDir?: string; label?: string },
): Promise<HttpFigures> {
  await runLoad({ ...spec, url: service.url, durationSeconds: options.warmupSeconds });
  await cutProfile(service.pid, options.profileDir, `before-${options.label}`);
  resetPeakRss(service.pid);
  const cpuBefore = cpuSecondsOf(service.pid);
  const result = await runLoad({
    ...spec,
    url: service.url,
    durationSeconds: options.durationSeconds,
  });
  const cpuSeconds = cpuSecondsOf(service.pid) - cpuBefore;
  await cutProfile(service.pid, options.profileDir, `${options.label}`);
  return figuresOf(result, memoryOf(service.pid).peakRssMb, cpuSeconds);
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
