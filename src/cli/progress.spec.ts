import { PassThrough } from 'node:stream';
import { progressBar } from './progress.js';

function terminal(isTTY: boolean): { stream: NodeJS.WriteStream; output: () => string } {
  const stream = Object.assign(new PassThrough(), {
    isTTY,
    columns: 120,
  }) as unknown as NodeJS.WriteStream;
  let output = '';
  (stream as unknown as PassThrough).on(
    'data',
    (chunk: Buffer) => (output += chunk.toString('utf8')),
  );
  return { stream, output: () => output };
}

describe(progressBar.name, () => {
  it('draws events, events/s and an ETA on a terminal', () => {
    const { stream, output } = terminal(true);
    const progress = progressBar('audit:verify', false, stream);
    expect(progress.active).toBe(true);
    progress.update(0, 1000);
    progress.update(500, 1000);
    progress.update(1000, 1000);
    progress.stop();
    expect(output()).toMatch(
      /audit:verify \[.*\] \d+% \| \d+\/1000 events \| \d+ events\/s \| ETA /,
    );
  });

  it('writes nothing when the stream is not a terminal, or with --json', () => {
    for (const [isTTY, json] of [
      [false, false],
      [true, true],
    ] as const) {
      const { stream, output } = terminal(isTTY);
      const progress = progressBar('audit:verify', json, stream);
      expect(progress.active).toBe(false);
      progress.update(10, 100);
      progress.stop();
      expect(output()).toBe('');
    }
  });
});
