import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface GatewayProcess {
  readonly url: string;
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the built gateway (`dist/main.js`, as `npm start` runs it) on a random port and resolves
 * once it logs the address it listens on. `npm test` builds dist/ before the suite.
 */
export function startGatewayProcess(
  env: Record<string, string | undefined>,
  timeoutMs = 20_000,
): Promise<GatewayProcess> {
  return startListeningProcess('dist/main.js', env, timeoutMs);
}

/**
 * Runs a Node script on a random port (PORT=0, HOST=127.0.0.1) and resolves once it logs
 * `listening on http://…` (the gateway, the sample bank app).
 */
export async function startListeningProcess(
  script: string,
  env: Record<string, string | undefined>,
  timeoutMs = 20_000,
): Promise<GatewayProcess> {
  const child = spawn('node', [script], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code);
    }),
  );

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${script} did not start in time:\n${output}`));
    }, timeoutMs);
    const check = (): void => {
      const match = /listening on (http:\/\/[^\s"]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      // A signal (code null) names itself: a crash (SIGSEGV) and a kill (SIGKILL) call for different fixes.
      reject(
        new Error(
          `${script} exited with ${code ?? `signal ${child.signalCode}`} before listening:\n${output}`,
        ),
      );
    });
  });

  return {
    url,
    child,
    output: () => output,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
