import type { HttpFigures } from './scenario.js';

export interface TargetCheck {
  name: string;
  target: string;
  actual: string;
  met: boolean;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** A plain-text table, columns sized to their content. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells.map((cell, column) => pad(cell, widths[column])).join('  ');
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  );
}

export function httpRow(name: string, figures: HttpFigures): string[] {
  return [
    name,
    String(figures.requestsPerSecond),
    figures.latencyMs.p50.toFixed(1),
    figures.latencyMs.p99.toFixed(1),
    String(figures.failures),
    figures.peakRssMb.toFixed(0),
    figures.gatewayCpuMicrosPerRequest === undefined
      ? '-'
      : String(figures.gatewayCpuMicrosPerRequest),
  ];
}

export const HTTP_HEADERS = [
  'scenario',
  'req/s',
  'p50 ms',
  'p99 ms',
  'failures',
  'peak RSS MB',
  'gateway CPU µs/req',
];
