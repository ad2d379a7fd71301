import type { Command } from 'commander';

/** CLI commands of the credentials module (`npm run cli -- …`), run over the application context. */
export function registerCredentialsCommands(_program: Command): void {
  // Commands are added by the credentials module's issue.
}
