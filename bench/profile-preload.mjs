// Loaded into the gateway with `node --import` when the benchmark runs with --profile: records a
// CPU profile from start and, each time the harness drops a `cut` file (holding a label) in
// BENCH_PROFILE_DIR, writes the slice so far as gateway-<label>.cpuprofile and starts the next.
// A file, not a signal: the gateway's shutdown hooks claim SIGUSR2, and SIGUSR1 starts the inspector.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { setInterval } from 'node:timers';

const dir = process.env.BENCH_PROFILE_DIR ?? '.';
const cutFile = path.join(dir, 'cut');
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
await session.post('Profiler.start');

let busy = false;
setInterval(() => {
  if (busy || !existsSync(cutFile)) return;
  busy = true;
  const label = readFileSync(cutFile, 'utf8').trim() || 'slice';
  rmSync(cutFile, { force: true });
  void (async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path.join(dir, `gateway-${label}.cpuprofile`), JSON.stringify(profile));
    await session.post('Profiler.start');
    busy = false;
  })();
}, 100).unref();
