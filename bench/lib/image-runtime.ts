import { readFileSync } from 'node:fs';

/** The variables of the runtime image that shape the Node.js process itself (heap, allocator). */
const RUNTIME_VARIABLES = ['NODE_OPTIONS', 'MALLOC_ARENA_MAX'];

/**
 * The runtime settings the Dockerfile's final stage gives the process (`ENV NAME=value`), so the
 * bench runs the gateway, and the references beside it, with the memory settings production has.
 */
export function imageRuntimeEnv(dockerfile = 'Dockerfile'): Record<string, string> {
  const lines = readFileSync(dockerfile, 'utf8').split('\n');
  const finalStage = lines.findLastIndex((line) => /^FROM\s/i.test(line));
  const env: Record<string, string> = {};
  for (const line of lines.slice(finalStage)) {
    const match = /^ENV\s+([A-Z_]+)=(.*)$/.exec(line.trim());
    if (!match || !RUNTIME_VARIABLES.includes(match[1])) continue;
    env[match[1]] = match[2].replace(/^"(.*)"$/, '$1');
  }
  return env;
}
