/** E.164: '+', a non-zero country digit, at most 15 digits in all; no spaces, dashes or trunk zero. */
export const E164_PATTERN = /^\+[1-9]\d{6,14}$/;

export function isE164(value: string): boolean {
  return E164_PATTERN.test(value);
}

/**
 * A number as an operator's enrichment proxy injects it ("962791234567", "+962791234567"), as
 * E.164; undefined when it is not a plausible international number.
 */
export function normalizeEnrichedNumber(raw: string): string | undefined {
  const trimmed = raw.trim();
  const candidate = trimmed.startsWith('+') ? trimmed : `+${trimmed}`;
  return isE164(candidate) ? candidate : undefined;
}

/** Every digit but the last two masked, one '*' per digit: "+962791234567" → "**********67". */
export function maskPhoneNumber(number: string): string {
  const digits = number.replace(/\D/g, '');
  return `${'*'.repeat(Math.max(0, digits.length - 2))}${digits.slice(-2)}`;
}
