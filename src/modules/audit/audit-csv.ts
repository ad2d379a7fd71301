import { stringify, type Options } from 'csv-stringify/sync';

/**
 * A formula trigger at the start of what a spreadsheet may read as a cell: the start of the value,
 * or just after a `,`, a `;` or a line break, since the file may be opened with either separator
 * (a `;` locale reads `a;=cmd` as two cells when quotes are ignored or the text is pasted).
 * Spaces before the trigger do not help: some importers trim them.
 */
const TRIGGER = /(^|[,;\n])( *[=+\-@\t\r])/g;

/**
 * Values the gateway writes itself in a fixed format that starts with a trigger character and
 * cannot hold a formula: a masked number (`+*********03`). They stay readable, unprefixed.
 */
const GATEWAY_FORMATS: Record<string, RegExp> = {
  phoneMasked: /^\+?\*{0,20}\d{0,4}$/,
};

/** Prefixes every trigger with `'`, which spreadsheets read as "text, not a formula". */
export function neutraliseFormulas(value: string): string {
  return value.replace(TRIGGER, "$1'$2");
}

/**
 * CSV rows safe to open in a spreadsheet in any locale: every cell quoted (so `,` and `;` inside a
 * value never split it when quotes are honoured) and every formula trigger neutralised (for when
 * they are not), except in the gateway's own fixed-format values.
 */
export function safeCsv(fields: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const options: Options = {
    quoted: true,
    quoted_empty: true,
    cast: {
      string: (value, context) => {
        const field = typeof context.index === 'number' ? fields[context.index] : undefined;
        const format = field === undefined || context.header ? undefined : GATEWAY_FORMATS[field];
        return format?.test(value) ? value : neutraliseFormulas(value);
      },
    },
  };
  return stringify(rows as unknown[][], options);
}
