import { canonicalJson } from './canonical-json.js';

describe(canonicalJson.name, () => {
  it('sorts keys at every depth and ignores whitespace', () => {
    expect(
      canonicalJson(JSON.parse('{ "b": 1, "a": {"y": [2, {"d": 1, "c": 0}], "x": null} }')),
    ).toBe('{"a":{"x":null,"y":[2,{"c":0,"d":1}]},"b":1}');
  });

  it('tells different bodies apart', () => {
    expect(canonicalJson({ credits: 1 })).not.toBe(canonicalJson({ credits: '1' }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    expect(canonicalJson(undefined)).toBe('null');
  });
});
