import { SingleBar } from 'cli-progress';

export interface Progress {
  /** False when nothing is drawn (not a terminal, or --json): skip work done only for the bar. */
  readonly active: boolean;
  update(done: number, total: number): void;
  stop(): void;
}

const SILENT: Progress = { active: false, update: () => undefined, stop: () => undefined };

/**
 * A progress bar on stderr with events/s and an ETA (cli-progress), for commands that walk the
 * audit trail. Only on a terminal and never with --json: piped or scripted output stays clean.
 */
export function progressBar(
  label: string,
  json: boolean,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (json || !stream.isTTY) return SILENT;
  const started = performance.now();
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {percentage}% | {value}/{total} events | {rate} events/s | ETA {eta_formatted}`,
    barCompleteChar: '=',
    barIncompleteChar: ' ',
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
  });
  let begun = false;
  return {
    active: true,
    update: (done, total) => {
      const rate = Math.round(done / Math.max((performance.now() - started) / 1000, 0.001));
      if (!begun) {
        bar.start(total, done, { rate });
        begun = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { rate });
      }
    },
    stop: () => {
      if (begun) bar.stop();
    },
  };
}
