import { isE164, maskPhoneNumber, normalizeEnrichedNumber } from './phone-number.js';

describe('phone numbers', () => {
  it('accepts strict E.164 only', () => {
    expect(isE164('+962791234567')).toBe(true);
    for (const invalid of [
      '0791234567',
      '+971 50 123 4567',
      '+966-51-2345678',
      '962791234567',
      '+0791234567',
      '+1234567890123456',
      '',
    ]) {
      expect(isE164(invalid)).toBe(false);
    }
  });

  it('masks all but the last two digits', () => {
    expect(maskPhoneNumber('+962791234567')).toBe('**********67');
  });

  it('reads enrichment headers with or without the plus sign', () => {
    expect(normalizeEnrichedNumber('962791234567')).toBe('+962791234567');
    expect(normalizeEnrichedNumber(' +962791234567 ')).toBe('+962791234567');
    expect(normalizeEnrichedNumber('0791234567')).toBeUndefined();
    expect(normalizeEnrichedNumber('abc')).toBeUndefined();
  });
});
