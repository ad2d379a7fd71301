import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** A free TCP port on 127.0.0.1, found by binding port 0 and releasing it. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not allocate a port');
  return address.port;
}

export interface Service {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  /** Last lines the process wrote on stderr, to explain a failure. */
  stderrTail(): string;
  stop(): Promise<void>;
}

export interface ServiceSpec {
  name: string;
  args: string[];
  env: Record<string, string>;
  port: number;
  readyPath: string;
  readyTimeoutMs?: number;
}

/** Polls `url` until it answers 200, the process exits, or the deadline passes. */
async function waitUntilReady(
  child: ChildProcess,
  url: string,
  timeoutMs: number,
  tail: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`exited with code ${child.exitCode} before becoming ready:\n${tail()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await delay(100);
  }
  throw new Error(`not ready after ${timeoutMs} ms:\n${tail()}`);
}

/** Starts a Node process (the gateway or a reference app) on 127.0.0.1 and waits until it serves. */
export async function startService(spec: ServiceSpec): Promise<Service> {
  const child = spawn(process.execPath, spec.args, {
    env: { PATH: process.env.PATH ?? '', ...spec.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${spec.port}`;
  try {
    await waitUntilReady(child, url + spec.readyPath, spec.readyTimeoutMs ?? 60_000, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${spec.name}: ${(error as Error).message}`, { cause: error });
  }
  if (child.pid === undefined) throw new Error(`${spec.name}: no pid`);
  const pid = child.pid;
  return {
    name: spec.name,
    pid,
    url,
    stderrTail: () => stderr,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident memory of a process in MB, from /proc: the current value and the peak (VmHWM). */
export function memoryOf(pid: number): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. Divided by the
 * requests of a run, it gives the gateway's own CPU per request, which stays comparable when the
 * load generator and PostgreSQL compete for the same cores.
 */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const clockTicksPerSecond = 100;
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

/**
 * Resets the kernel's peak-RSS counter of a process (writing 5 to clear_refs), so each scenario
 * reports its own peak rather than the highest since start. Returns false where not permitted.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Runs a command to completion and returns its stdout; rejects with its stderr on failure. */
export function run(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; input?: string; cwd?: string; okCodes?: number[] } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr
      .setEncoding('utf8')
      .on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8_000)));
    child.once('error', reject);
    child.once('exit', (code) =>
      (options.okCodes ?? [0]).includes(code ?? -1)
        ? resolve(stdout)
        : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stderr}`)),
    );
    child.stdin.end(options.input ?? '');
  });
}

/**
 * With --profile: ends the gateway's current CPU-profile slice under `label` (written by
 * bench/profile-preload.mjs as gateway-<label>.cpuprofile) and starts the next one.
 */
export async function cutProfile(
  _pid: number,
  profileDir: string | undefined,
  label: string,
): Promise<void> {
  if (!profileDir) return;
  const file = `${profileDir}/gateway-${label}.cpuprofile`;
  writeFileSync(`${profileDir}/cut`, label);
  const deadline = Date.now() + 30_000;
  while (!existsSync(file) && Date.now() < deadline) await delay(50);
}
