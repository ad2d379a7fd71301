// `npm start` runs this first: it builds only when a build input is newer than the last complete
// build, so a restart takes the gateway's own start-up time instead of a full rebuild.
// `--stamp` (the last step of `npm run build`) records that a build completed.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const stamp = path.join(root, 'dist', '.build-stamp');

if (process.argv.includes('--stamp')) {
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  process.exit(0);
}

const INPUTS = [
  'src',
  'prisma',
  'console',
  'sdk/web/src',
  'sdk/node/src',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'prisma.config.ts',
];
// Written by the build itself: never a reason to rebuild.
const OUTPUTS = new Set([path.join(root, 'src', 'generated')]);

function newestMtime(entry) {
  if (OUTPUTS.has(entry) || !existsSync(entry)) return 0;
  const info = statSync(entry);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(entry))
    newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

const built =
  existsSync(stamp) && existsSync(path.join(root, 'dist', 'main.js')) ? statSync(stamp).mtimeMs : 0;
const changed = Math.max(...INPUTS.map((input) => newestMtime(path.join(root, input))));
if (built > 0 && changed <= built) {
  process.stderr.write('Build is current (dist/ is newer than every source); not rebuilding.\n');
} else {
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
}
