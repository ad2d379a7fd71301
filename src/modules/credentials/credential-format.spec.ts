import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import {
  fingerprintOf,
  generateClientId,
  generateJwtSecret,
  generateSecret,
  hasValidShape,
  keyHash,
  SECRET_PREFIXES,
} from './credential-format.js';

const ALL_PREFIXES = Object.values(SECRET_PREFIXES);
const BASE62_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The same secret with its character at `index` replaced by another base62 character. */
function withTypo(secret: string, index: number, shift: number): string {
  const current = BASE62_CHARS.indexOf(secret[index]);
  const replacement = BASE62_CHARS[(current + 1 + (shift % 61)) % 62];
  return `${secret.slice(0, index)}${replacement}${secret.slice(index + 1)}`;
}

describe('credential format', () => {
  describe(generateSecret.name, () => {
    it.each(ALL_PREFIXES)(
      'issues %s secrets of fixed length, base62 after the prefix, that pass the shape check',
      (prefix) => {
        const secret = generateSecret(prefix);
        expect(secret.startsWith(prefix)).toBe(true);
        expect(secret).toHaveLength(prefix.length + 43 + 6);
        expect(secret.slice(prefix.length)).toMatch(/^[0-9A-Za-z]+$/);
        expect(hasValidShape(secret, [prefix])).toBe(true);
      },
    );

    it('never issues the same secret twice', () => {
      const issued = new Set(
        Array.from({ length: 1_000 }, () => generateSecret(SECRET_PREFIXES.sandboxApiKey)),
      );
      expect(issued.size).toBe(1_000);
    });
  });

  describe(hasValidShape.name, () => {
    const secret = generateSecret(SECRET_PREFIXES.liveApiKey);

    it('refuses a secret with any one character of its body or checksum mistyped', () => {
      const start = SECRET_PREFIXES.liveApiKey.length;
      fc.assert(
        fc.property(
          fc.integer({ min: start, max: secret.length - 1 }),
          fc.integer({ min: 0, max: 60 }),
          (index, shift) => {
            expect(
              hasValidShape(withTypo(secret, index, shift), [SECRET_PREFIXES.liveApiKey]),
            ).toBe(false);
          },
        ),
      );
    });

    it('refuses a secret whose prefix is not among those accepted (a sandbox key where a live one is expected)', () => {
      expect(
        hasValidShape(generateSecret(SECRET_PREFIXES.sandboxApiKey), [SECRET_PREFIXES.liveApiKey]),
      ).toBe(false);
      expect(
        hasValidShape(secret, [SECRET_PREFIXES.sandboxApiKey, SECRET_PREFIXES.liveApiKey]),
      ).toBe(true);
    });

    it('refuses a secret cut short, one too long, or with characters outside base62', () => {
      expect(hasValidShape(secret.slice(0, -1), [SECRET_PREFIXES.liveApiKey])).toBe(false);
      expect(hasValidShape(`${secret}0`, [SECRET_PREFIXES.liveApiKey])).toBe(false);
      const withDash = `${secret.slice(0, 20)}-${secret.slice(21)}`;
      expect(hasValidShape(withDash, [SECRET_PREFIXES.liveApiKey])).toBe(false);
      expect(hasValidShape('', ALL_PREFIXES)).toBe(false);
    });

    it('refuses a body moved under another prefix: the checksum covers the prefix too', () => {
      const moved = `${SECRET_PREFIXES.sandboxApiKey}${secret.slice(SECRET_PREFIXES.liveApiKey.length)}`;
      expect(hasValidShape(moved, [SECRET_PREFIXES.sandboxApiKey])).toBe(false);
    });
  });

  describe('identifiers and hashes', () => {
    it('makes client ids cli_ and 22 base62 characters', () => {
      expect(generateClientId()).toMatch(/^cli_[0-9A-Za-z]{22}$/);
    });

    it('makes JWT secrets of plain alphanumerics, at least 256 bits', () => {
      const secret = generateJwtSecret();
      expect(secret).toMatch(/^[0-9A-Za-z]{43}$/);
      expect(secret.length * Math.log2(62)).toBeGreaterThanOrEqual(256);
    });

    it('stores a keyed HMAC-SHA256 (hex) of a secret, which depends on the pepper', () => {
      const pepper = Buffer.alloc(32, 7);
      expect(keyHash(pepper, 'mig_test_x')).toBe(
        createHmac('sha256', pepper).update('mig_test_x').digest('hex'),
      );
      expect(keyHash(Buffer.alloc(32, 8), 'mig_test_x')).not.toBe(keyHash(pepper, 'mig_test_x'));
    });

    it('fingerprints a secret with the first 16 hex digits of its unkeyed SHA-256 (what `sha256sum` shows)', () => {
      expect(fingerprintOf('mig_test_x')).toBe(
        createHash('sha256').update('mig_test_x').digest('hex').slice(0, 16),
      );
      expect(fingerprintOf('mig_test_x')).toHaveLength(16);
    });
  });
});
