import { createHmac, randomBytes } from 'node:crypto';

/** A signing key as deliveries use it: its id and raw secret bytes. */
export interface SigningKey {
  id: string;
  secret: Buffer;
}

const SECRET_PREFIX = 'whsec_';

/** A new signing secret in the Standard Webhooks format (`whsec_` + base64 of 32 random bytes). */
export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

export function secretBytes(secret: string): Buffer {
  return Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
}

/**
 * The Standard Webhooks headers of one delivery: HMAC-SHA256 over `${id}.${timestamp}.${body}`
 * (the raw body), one `v1,<base64>` signature per key that still signs, newest first, so a
 * receiver that knows either key of a rotation accepts the event. `webhook-key-id` names the keys
 * in the same order.
 */
export function signatureHeaders(
  id: string,
  timestampSeconds: number,
  body: string,
  keys: readonly SigningKey[],
): Record<string, string> {
  const content = `${id}.${timestampSeconds}.${body}`;
  const signatures = keys.map(
    (key) => `v1,${createHmac('sha256', key.secret).update(content).digest('base64')}`,
  );
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signatures.join(' '),
    'webhook-key-id': keys.map((key) => key.id).join(' '),
  };
}
