/**
 * Phone numbers: the one place that knows their syntax, their canonical form and their masked
 * form. Every number the gateway accepts is E.164 with its '+' (a non-zero first digit, at most 15
 * digits); the contracts differ only in how short a number they accept, and each rule below says
 * whose it is. README "Phone numbers" lists which rule and which masked form each route uses.
 */

/** The longest E.164 number: 15 digits, country code included. */
const MAX_DIGITS = 15;

function e164WithAtLeast(minDigits: number): RegExp {
  return new RegExp(`^\\+[1-9][0-9]{${minDigits - 1},${MAX_DIGITS - 1}}$`);
}

/**
 * CAMARA's `PhoneNumber` schema verbatim (SIM Swap 2.1.0, Device Swap 1.0.0: 5–15 digits). The
 * Identity Match contract uses it too (CM.com documents "E.164" without a pattern).
 */
export const CAMARA_PHONE_NUMBER = e164WithAtLeast(5);

/** CAMARA's description of `PhoneNumber`; the OpenAPI document names the schema that carries it. */
export const CAMARA_PHONE_NUMBER_DESCRIPTION =
  "A public identifier addressing a telephone subscription. In mobile networks it corresponds to the MSISDN (Mobile Station International Subscriber Directory Number). In order to be globally unique it has to be formatted in international format, according to E.164 standard, prefixed with '+'.";

/**
 * The Authmatech verify contract: "strict E.164" of a number a subscriber can hold, 7–15 digits
 * (the shortest national plans in service, e.g. Saint Helena +290 xxxx, have 7). Shorter input is
 * answered 400 INVALID_MOBILE_NUMBER before any proof is spent.
 */
export const SUBSCRIBER_PHONE_NUMBER = e164WithAtLeast(7);

/**
 * A number as people type it into a search box (audit queries): optional '+', digits, spaces,
 * dashes and brackets. Only ever canonicalised and hashed, never stored.
 */
export const PHONE_NUMBER_SEARCH = /^\+?[0-9][0-9 ()-]{4,24}$/;

export function isSubscriberNumber(value: string): boolean {
  return SUBSCRIBER_PHONE_NUMBER.test(value);
}

/** '+' (when given) and the digits, whatever separators the caller used: the form that is hashed. */
export function canonicalPhoneNumber(phoneNumber: string): string {
  const trimmed = phoneNumber.trim();
  return `${trimmed.startsWith('+') ? '+' : ''}${trimmed.replace(/\D/g, '')}`;
}

/**
 * A number as an operator's enrichment proxy injects it ("962791234567", "+962791234567"), as
 * E.164; undefined when it is not a number a subscriber can hold.
 */
export function normalizeEnrichedNumber(raw: string): string | undefined {
  const trimmed = raw.trim();
  const candidate = trimmed.startsWith('+') ? trimmed : `+${trimmed}`;
  return isSubscriberNumber(candidate) ? candidate : undefined;
}

export interface MaskOptions {
  /**
   * Keep the leading '+' (the audit trail: `+**********67`). Off for the Authmatech Verify N+
   * answer, whose `maskedMobileNumber` is digits only (`**********67`).
   */
  withPlus: boolean;
}

/**
 * The one masked form: every digit but the last two replaced by '*', one per digit, so the length
 * still tells the country's number plan apart. "+962 79 123 4567" → "+**********67".
 */
export function maskPhoneNumber(
  phoneNumber: string,
  options: MaskOptions = { withPlus: true },
): string {
  const canonical = canonicalPhoneNumber(phoneNumber);
  const digits = canonical.replace('+', '');
  const masked = '*'.repeat(Math.max(digits.length - 2, 0)) + digits.slice(-2);
  return options.withPlus && canonical.startsWith('+') ? `+${masked}` : masked;
}
