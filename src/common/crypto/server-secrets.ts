import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { EnvironmentError, type Environment } from '../config/environment.js';

const MIN_BYTES = 32;

/**
 * The gateway's own secrets, none of which is ever stored in the database:
 * - `apiKeyPepper`: HMAC key for API keys, client secrets, SDK tokens and admin keys (stored hashed);
 * - `phoneHashPepper`: HMAC key for phone numbers in the audit trail (searchable, not reversible);
 * - `encryptionKeys`: key-encryption keys by version (AES-256-GCM), for secrets that must be
 *   recoverable (JWT signing secrets, upstream credentials); `currentKeyVersion` encrypts new ones.
 */
export class ServerSecrets {
  constructor(
    readonly apiKeyPepper: Buffer,
    readonly phoneHashPepper: Buffer,
    readonly encryptionKeys: ReadonlyMap<number, Buffer>,
    readonly currentKeyVersion: number,
  ) {}

  encryptionKey(version: number): Buffer {
    const key = this.encryptionKeys.get(version);
    if (!key) throw new Error(`no key-encryption key of version ${version} is configured`);
    return key;
  }
}

interface DevSecretsFile {
  API_KEY_PEPPER: string;
  PHONE_HASH_PEPPER: string;
  SECRET_ENCRYPTION_KEYS: string;
}

function decodeKey(name: string, value: string): Buffer {
  const bytes = Buffer.from(value, /^[0-9a-fA-F]+$/.test(value) ? 'hex' : 'base64url');
  if (bytes.length < MIN_BYTES) {
    throw new EnvironmentError([
      `${name}: must encode at least ${MIN_BYTES} random bytes (base64url or hex)`,
    ]);
  }
  return bytes;
}

/** `SECRET_ENCRYPTION_KEYS=1:<base64url>,2:<base64url>` → version → 32-byte key. */
function parseEncryptionKeys(value: string): Map<number, Buffer> {
  const keys = new Map<number, Buffer>();
  for (const entry of value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^(\d+):(.+)$/.exec(entry);
    if (!match)
      throw new EnvironmentError([
        'SECRET_ENCRYPTION_KEYS: entries must look like <version>:<key>',
      ]);
    const key = decodeKey('SECRET_ENCRYPTION_KEYS', match[2]);
    if (key.length !== 32)
      throw new EnvironmentError([
        'SECRET_ENCRYPTION_KEYS: each key must be exactly 32 bytes (AES-256)',
      ]);
    keys.set(Number(match[1]), key);
  }
  if (keys.size === 0)
    throw new EnvironmentError(['SECRET_ENCRYPTION_KEYS: at least one key is required']);
  return keys;
}

/**
 * Development machines get secrets generated once and kept beside the embedded data (so data
 * stays readable across restarts); production must configure them, or the gateway refuses to start.
 */
function developmentSecrets(environment: Environment): DevSecretsFile {
  const file = path.join(
    path.dirname(
      path.resolve(
        environment.EMBEDDED_DATA_DIR === 'memory://' ? './.data/x' : environment.EMBEDDED_DATA_DIR,
      ),
    ),
    'dev-secrets.json',
  );
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevSecretsFile;
  const generated: DevSecretsFile = {
    API_KEY_PEPPER: randomBytes(32).toString('base64url'),
    PHONE_HASH_PEPPER: randomBytes(32).toString('base64url'),
    SECRET_ENCRYPTION_KEYS: `1:${randomBytes(32).toString('base64url')}`,
  };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
  new Logger(ServerSecrets.name).warn(
    `Generated development secrets in ${file}. Production must set API_KEY_PEPPER, PHONE_HASH_PEPPER and SECRET_ENCRYPTION_KEYS.`,
  );
  return generated;
}

export function loadServerSecrets(environment: Environment): ServerSecrets {
  const configured = {
    API_KEY_PEPPER: environment.API_KEY_PEPPER,
    PHONE_HASH_PEPPER: environment.PHONE_HASH_PEPPER,
    SECRET_ENCRYPTION_KEYS: environment.SECRET_ENCRYPTION_KEYS,
  };
  const missing = Object.entries(configured)
    .filter(([, value]) => value === undefined)
    .map(([name]) => name);
  if (missing.length > 0 && environment.isProduction) {
    throw new EnvironmentError([
      `${missing.join(', ')}: required when NODE_ENV=production; set each to ≥ 32 random bytes (\`openssl rand -hex 32\`; SECRET_ENCRYPTION_KEYS as 1:<64 hex>), see .env.example`,
    ]);
  }
  const fallback = missing.length > 0 ? developmentSecrets(environment) : undefined;
  const pick = (name: keyof DevSecretsFile): string =>
    configured[name] ?? (fallback ?? developmentSecrets(environment))[name];
  const encryptionKeys = parseEncryptionKeys(pick('SECRET_ENCRYPTION_KEYS'));
  const currentKeyVersion =
    environment.SECRET_ENCRYPTION_KEY_VERSION ?? Math.max(...encryptionKeys.keys());
  if (!encryptionKeys.has(currentKeyVersion)) {
    throw new EnvironmentError([
      'SECRET_ENCRYPTION_KEY_VERSION: no key of that version in SECRET_ENCRYPTION_KEYS',
    ]);
  }
  return new ServerSecrets(
    decodeKey('API_KEY_PEPPER', pick('API_KEY_PEPPER')),
    decodeKey('PHONE_HASH_PEPPER', pick('PHONE_HASH_PEPPER')),
    encryptionKeys,
    currentKeyVersion,
  );
}
