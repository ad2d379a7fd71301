import type { Command } from 'commander';

/** CLI commands of the audit module (`npm run cli -- …`), run over the application context. */
export function registerAuditCommands(_program: Command): void {
  // Commands are added by the audit module's issue.
}
