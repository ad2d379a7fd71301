// How a request's path is named outside the process (log lines, trace spans): never a phone number
// or a search term. Pure, with no imports: tracing.ts loads it before the application.

/** Runs of 6 or more digits (a phone number, with or without `+`, or a long id) become `…`. */
const DIGIT_RUN = /\+?(?:%2B)?\d[\d\s.%-]{4,}\d/gi;

/** A raw path with its digit runs masked. */
export function maskedPath(path: string): string {
  return path.replace(DIGIT_RUN, '…');
}

/** A query string's keys with every value replaced (`a=…&b=…`): values (and odd keys) can be phone numbers. */
export function queryKeysOnly(query: string): string {
  return [...new URLSearchParams(query).keys()].map((key) => `${maskedPath(key)}=…`).join('&');
}

/**
 * The route pattern (`/admin/v1/sandbox/sim-swap/:phoneNumber`) when a route matched, so a number in
 * the path never leaves the process; otherwise the raw path with digit runs masked. Either way the
 * query keeps its keys only.
 */
export function redactedPath(url: string, pattern?: string): string {
  const [path, query] = url.split('?', 2);
  const shown = pattern ?? maskedPath(path);
  return query ? `${shown}?${queryKeysOnly(query)}` : shown;
}
