/**
 * `node bench/.build/profile-summary.js <file.cpuprofile> [top]`: self time by function and by
 * package, to say what bounds a hot path (the README's closing notes come from this).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function packageOf(url: string): string {
  if (!url) return '(native / gc / idle)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node core';
  const dist = url.indexOf('/dist/');
  return dist >= 0
    ? `gateway ${url
        .slice(dist + 6)
        .split('/')
        .slice(0, 2)
        .join('/')}`
    : url;
}

export function summarize(profile: Profile, top = 25): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, index) =>
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)),
  );
  const total = [...selfMicros.values()].reduce((sum, value) => sum + value, 0);
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)!.callFrame;
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    const pkg = packageOf(frame.url.replace(/^file:\/\//, ''));
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
  }
  // Inclusive view: each sample charged to the nearest gateway function on its stack, which says
  // which part of the gateway's own code the library and native time is spent for.
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const byGatewayCaller = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    let current: number | undefined = id;
    let name = '(outside gateway code: framework, I/O, GC, idle)';
    while (current !== undefined) {
      const frame = byId.get(current)!.callFrame;
      if (/\/dist\/(?!generated)/.test(frame.url) && !frame.url.includes('node_modules')) {
        name = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/dist\//, '')}`;
        break;
      }
      current = parent.get(current);
    }
    byGatewayCaller.set(name, (byGatewayCaller.get(name) ?? 0) + micros);
  }
  const lines = (map: Map<string, number>): string[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => `${((100 * micros) / total).toFixed(1).padStart(5)}%  ${name}`);
  return [
    `total sampled ${(total / 1e6).toFixed(1)} s`,
    '',
    'self time by package:',
    ...lines(byPackage),
    '',
    'self time by function:',
    ...lines(byFunction),
    '',
    'time by nearest gateway function on the stack:',
    ...lines(byGatewayCaller),
  ].join('\n');
}

if (process.argv[2]) {
  process.stdout.write(
    `${summarize(JSON.parse(readFileSync(process.argv[2], 'utf8')) as Profile, Number(process.argv[3] ?? 25))}\n`,
  );
}
