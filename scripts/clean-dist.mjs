// Removes the previous build so a deleted source file never lingers as a stale module in dist/
// (the gateway's and the Web SDK's).
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
rmSync(new URL('../sdk/web/dist', import.meta.url), { recursive: true, force: true });
rmSync(new URL('../sdk/node/dist', import.meta.url), { recursive: true, force: true });
