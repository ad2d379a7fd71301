// Trims a production install (`npm ci --omit=dev`) to what the gateway runs. Used by the
// Dockerfile's runtime stage and by scripts/check-runtime-size.sh, so CI measures the image's tree.
//  - Packages the lockfile marks `devOptional`: npm installs them with --omit=dev only because they
//    are *optional peers* of runtime packages (the `prisma` CLI of @prisma/client, with Studio,
//    React and TypeScript; TypeScript of @nestjs/swagger). Nothing at run time imports them.
//    (`--omit=optional` would also drop @node-rs/argon2's native binary.)
//  - Prisma's query compilers for other databases (the generated client loads PostgreSQL's only).
//  - Source maps.
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? '.');
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
let removed = 0;
for (const [location, entry] of Object.entries(lock.packages ?? {})) {
  if (location !== '' && entry.devOptional) {
    rmSync(path.join(root, location), { recursive: true, force: true });
    removed += 1;
  }
}

const runtime = path.join(root, 'node_modules/@prisma/client/runtime');
for (const name of readdirSync(runtime)) {
  if (name.startsWith('query_compiler_') && !name.includes('postgresql'))
    rmSync(path.join(runtime, name));
}

function dropMaps(directory) {
  for (const name of readdirSync(directory)) {
    const full = path.join(directory, name);
    const stats = statSync(full, { throwIfNoEntry: false });
    if (!stats) continue;
    if (stats.isDirectory()) dropMaps(full);
    else if (name.endsWith('.map')) rmSync(full);
  }
}
dropMaps(path.join(root, 'node_modules'));
console.log(
  `pruned ${removed} optional-peer packages, other databases' query compilers and source maps`,
);
