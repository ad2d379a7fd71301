import {
  CAMARA_PHONE_NUMBER,
  canonicalPhoneNumber,
  isSubscriberNumber,
  maskPhoneNumber,
  normalizeEnrichedNumber,
  PHONE_NUMBER_SEARCH,
} from './phone-number.js';

describe('phone numbers', () => {
  it('accepts strict E.164 subscriber numbers only (7 to 15 digits)', () => {
    expect(isSubscriberNumber('+962791234567')).toBe(true);
    expect(isSubscriberNumber('+2904002')).toBe(true);
    for (const invalid of [
      '0791234567',
      '+971 50 123 4567',
      '+966-51-2345678',
      '962791234567',
      '+0791234567',
      '+1234567890123456',
      '+290400',
      '',
    ]) {
      expect(isSubscriberNumber(invalid)).toBe(false);
    }
  });

  it("follows CAMARA's PhoneNumber pattern verbatim (5 to 15 digits)", () => {
    expect(CAMARA_PHONE_NUMBER.source).toBe('^\\+[1-9][0-9]{4,14}$');
    expect(CAMARA_PHONE_NUMBER.test('+12345')).toBe(true);
    expect(CAMARA_PHONE_NUMBER.test('+1234')).toBe(false);
    expect(CAMARA_PHONE_NUMBER.test('+123456789012345')).toBe(true);
    expect(CAMARA_PHONE_NUMBER.test('+1234567890123456')).toBe(false);
  });

  it('accepts formatted numbers as search input', () => {
    expect(PHONE_NUMBER_SEARCH.test('+962 79 123-4567')).toBe(true);
    expect(PHONE_NUMBER_SEARCH.test('abc')).toBe(false);
  });

  it('masks all but the last two digits, with or without the plus sign', () => {
    expect(maskPhoneNumber('+962791234567')).toBe('+**********67');
    expect(maskPhoneNumber('+962 79 123 4567')).toBe('+**********67');
    expect(maskPhoneNumber('+962791234567', { withPlus: false })).toBe('**********67');
    expect(maskPhoneNumber('962791234567')).toBe('**********67');
  });

  it('canonicalises separators away before hashing', () => {
    expect(canonicalPhoneNumber(' +962 79-123 (4567) ')).toBe('+962791234567');
  });

  it('reads enrichment headers with or without the plus sign', () => {
    expect(normalizeEnrichedNumber('962791234567')).toBe('+962791234567');
    expect(normalizeEnrichedNumber(' +962791234567 ')).toBe('+962791234567');
    expect(normalizeEnrichedNumber('0791234567')).toBeUndefined();
    expect(normalizeEnrichedNumber('abc')).toBeUndefined();
  });
});
