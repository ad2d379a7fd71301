// Removes the previous build so a deleted source file never lingers as a stale module in dist/.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
