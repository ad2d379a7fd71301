import { contentDigest, extendChain, GENESIS_HASH, jsonbText, linkHash } from './audit-chain.js';
import { maskPhoneNumber } from '../../common/phone/phone-number.js';
import { hashPhoneNumber, toAuditContent } from './audit-event.js';

const PEPPER = Buffer.alloc(32, 7);

describe('audit events', () => {
  it('masks every digit but the last two and hashes the normalised number with the pepper', () => {
    expect(maskPhoneNumber('+962 79 123 4567')).toBe('+**********67');
    expect(hashPhoneNumber(PEPPER, '+962 79-123-4567')).toBe(
      hashPhoneNumber(PEPPER, '+962791234567'),
    );
    expect(hashPhoneNumber(PEPPER, '+962791234567')).not.toBe(
      hashPhoneNumber(Buffer.alloc(32, 8), '+962791234567'),
    );
  });

  it('keeps the number out of every other field and cuts strings to their columns', () => {
    const content = toAuditContent(
      {
        action: 'verify',
        contract: 'authmatech',
        actorType: 'client',
        outcome: 'success',
        phoneNumber: '+962791234567',
        correlationId: 'c-962791234567',
        detail: { note: 'asked for 962791234567', nested: [{ value: '+962791234567' }] },
        userAgent: 'x'.repeat(1_000),
      },
      PEPPER,
    );
    expect(JSON.stringify(content)).not.toContain('962791234567');
    expect(content.phoneMasked).toBe('+**********67');
    expect(content.userAgent).toHaveLength(512);
  });

  it('hashes the same content the same way whatever the key order of its JSON fields', () => {
    const base = toAuditContent(
      {
        action: 'a',
        contract: 'system',
        actorType: 'system',
        outcome: 'success',
        verdict: { b: 1, a: { d: 2, c: 3 } },
      },
      PEPPER,
    );
    const reordered = { ...base, verdict: { a: { c: 3, d: 2 }, b: 1 } };
    expect(contentDigest(base)).toBe(contentDigest(reordered));
    expect(contentDigest(base)).not.toBe(
      contentDigest({ ...base, verdict: { a: { c: 3, d: 2 }, b: 2 } }),
    );
  });

  it("prints JSON as PostgreSQL's jsonb does (key order by byte length, plain numbers, separators)", () => {
    expect(jsonbText({ bb: 1, a: { é: 2, z: 3 }, list: [true, null, 'x"\u0001'] })).toBe(
      '{"a": {"z": 3, "é": 2}, "bb": 1, "list": [true, null, "x\\"\\u0001"]}',
    );
    expect(jsonbText([1e21, 1.5e-7, -2.5e22, 0.1, -0])).toBe(
      '[1000000000000000000000, 0.00000015, -25000000000000000000000, 0.1, 0]',
    );
  });

  it('links each event to the one before it', () => {
    const contents = [1, 2, 3].map((index) =>
      toAuditContent(
        { action: `a${index}`, contract: 'system', actorType: 'system', outcome: 'success' },
        PEPPER,
      ),
    );
    const { records, head } = extendChain(
      { position: 0n, hash: GENESIS_HASH },
      '2026-11-23T00:00:00.000Z',
      contents,
    );
    expect(records.map((record) => record.id)).toEqual(['1', '2', '3']);
    expect(records[1].prevHash).toBe(records[0].hash);
    expect(
      linkHash(records[2].prevHash, '3', '2026-11-23T00:00:00.000Z', contentDigest(contents[2])),
    ).toBe(records[2].hash);
    expect(head).toEqual({ position: 3n, hash: records[2].hash });
  });
});
