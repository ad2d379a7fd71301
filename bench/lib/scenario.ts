import { failuresOf, runLoad, type LoadResult, type LoadSpec } from './load.js';
import { cutProfile, memoryOf, resetPeakRss, type Service } from './processes.js';

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
}

export function figuresOf(result: LoadResult, peakRssMb: number): HttpFigures {
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
  const result = await runLoad({
    ...spec,
    url: service.url,
    durationSeconds: options.durationSeconds,
  });
  await cutProfile(service.pid, options.profileDir, `${options.label}`);
  return figuresOf(result, memoryOf(service.pid).peakRssMb);
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
