import { randomUUID } from 'node:crypto';

/** Ids in paths are checked before they reach a uuid column (a malformed one is a 404, not a 500). */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** A signing key id, `whk_` + 24 hex digits. */
export function newKeyId(): string {
  return `whk_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
}
