import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ServerSecrets } from './server-secrets.js';

/** A secret encrypted under one of the server's key-encryption keys. */
export interface SealedSecret {
  /** `v1.<iv>.<tag>.<ciphertext>`, each base64url. */
  ciphertext: string;
  /** Which KEK (SECRET_ENCRYPTION_KEYS version) sealed it; kept beside it so KEKs can rotate. */
  keyVersion: number;
}

const FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for secrets the gateway must recover (JWT signing secrets, operators' upstream
 * credentials, proof keys). Node's crypto does the work; this only fixes the format and the key
 * choice. The authentication tag makes a tampered or foreign ciphertext fail instead of decrypting
 * to garbage.
 */
@Injectable()
export class SecretBox {
  constructor(private readonly secrets: ServerSecrets) {}

  get currentKeyVersion(): number {
    return this.secrets.currentKeyVersion;
  }

  seal(plaintext: string): SealedSecret {
    const keyVersion = this.secrets.currentKeyVersion;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.secrets.encryptionKey(keyVersion), iv, {
      authTagLength: TAG_BYTES,
    });
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return {
      ciphertext: [
        FORMAT,
        iv.toString('base64url'),
        tag.toString('base64url'),
        ciphertext.toString('base64url'),
      ].join('.'),
      keyVersion,
    };
  }

  open(sealed: SealedSecret): string {
    const [format, iv, tag, ciphertext] = sealed.ciphertext.split('.') as (string | undefined)[];
    if (format !== FORMAT || iv === undefined || tag === undefined || ciphertext === undefined) {
      throw new Error('sealed secret has an unknown format');
    }
    const decipher = createDecipheriv(
      'aes-256-gcm',
      this.secrets.encryptionKey(sealed.keyVersion),
      Buffer.from(iv, 'base64url'),
      {
        authTagLength: TAG_BYTES,
      },
    );
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(ciphertext, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }

  /** True when the secret should be re-sealed under the newest KEK. */
  isStale(keyVersion: number): boolean {
    return keyVersion !== this.secrets.currentKeyVersion;
  }
}

/**
 * The sealed secret of a row that keeps its ciphertext and key version in nullable columns written
 * together: one without the other is a damaged row, refused rather than opened under no key.
 */
export function storedSealedSecret(
  ciphertext: string | null,
  keyVersion: number | null,
): SealedSecret {
  if (ciphertext === null || keyVersion === null)
    throw new Error('sealed secret is incomplete (ciphertext or key version missing)');
  return { ciphertext, keyVersion };
}
