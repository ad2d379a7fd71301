/** RFC 3339 date-time with a zone, as CAMARA uses it; `Date.parse` alone accepts far more. */
const RFC3339_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

export function isRfc3339DateTime(value: unknown): value is string {
  return (
    typeof value === 'string' && RFC3339_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))
  );
}

export { RFC3339_DATE_TIME };
