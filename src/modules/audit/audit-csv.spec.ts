import { parse } from 'csv-parse/sync';
import { neutraliseFormulas, safeCsv } from './audit-csv.js';

describe('safeCsv', () => {
  describe('neutraliseFormulas', () => {
    it.each([
      ['=1+1', "'=1+1"],
      ['+1', "'+1"],
      ['-1', "'-1"],
      ['@SUM(A1)', "'@SUM(A1)"],
      ['\tcmd', "'\tcmd"],
      ['\rcmd', "'\rcmd"],
      ["x;=cmd|' /C calc'!A0;", "x;'=cmd|' /C calc'!A0;"],
      ['a,  +1', "a,'  +1"],
      ['line\n@x', "line\n'@x"],
      ['plain text, no formula; really', 'plain text, no formula; really'],
      ['a=b+c', 'a=b+c'],
    ])('turns %j into %j', (value, expected) => {
      expect(neutraliseFormulas(value)).toBe(expected);
    });
  });

  it('quotes every cell, empty ones too, and leaves masked numbers readable', () => {
    const csv = safeCsv(
      ['phoneMasked', 'userAgent', 'latencyMs', 'detail'],
      [['+*********03', '+*********03', 12, '']],
    );
    expect(csv).toBe(`"+*********03","'+*********03","12",""\n`);
    expect(parse(csv, { delimiter: ',' })).toEqual([['+*********03', "'+*********03", '12', '']]);
  });

  it('neutralises a masked-number column that holds anything else', () => {
    expect(safeCsv(['phoneMasked'], [['+1+cmd|x']])).toBe(`"'+1+cmd|x"\n`);
  });
});
