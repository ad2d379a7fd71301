import type { Role } from './api';

/** Where a role lands after signing in. */
export function homeOf(role: Role): string {
  return role === 'client' ? '/client' : role === 'admin' ? '/admin/clients' : '/audit/events';
}
