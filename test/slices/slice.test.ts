import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../shared/errors.js';
import {
  areSiblings,
  parseSliceKey,
  renderSliceKey,
  sliceFrom,
  sliceLabel,
  sliceOf,
  TOTAL,
} from '../../shared/slices/slice.js';

describe('slice keys (DESIGN.md "Slice keys")', () => {
  it('renders sorted pairs with \\, ; and = escaped, NULL as (null) and the text (null) as \\(null)', () => {
    expect(sliceFrom({ surface: 'live', region: 'BR' }).key).toBe('region=BR;surface=live');
    expect(sliceFrom({ region: 'BR;surface=live' }).key).toBe('region=BR\\;surface\\=live');
    expect(sliceFrom({ region: 'a\\b' }).key).toBe('region=a\\\\b');
    expect(sliceFrom({ region: null }).key).toBe('region=(null)');
    expect(sliceFrom({ region: '(null)' }).key).toBe('region=\\(null)');
    expect(TOTAL.key).toBe('');
  });

  it('never collides: NULL vs "(null)", a value holding ";dim=" vs a two-dimension slice', () => {
    const keys = [
      sliceFrom({ region: null }),
      sliceFrom({ region: '(null)' }),
      sliceFrom({ region: 'BR;surface=live' }),
      sliceFrom({ region: 'BR', surface: 'live' }),
      sliceFrom({ region: 'BR\\' }),
      sliceFrom({ region: 'BR\\;' }),
      sliceFrom({ region: '' }),
    ].map((s) => s.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('parses back exactly what it rendered, for any dimensions and values (property)', () => {
    const value = fc.oneof(
      fc.constant(null),
      fc.constantFrom('(null)', '\\(null)', ';', '=', '\\', '', 'BR;surface=live', '\u0000\u001b[31m\u202e'),
      fc.string({ unit: 'binary' }),
    );
    const slice = fc
      .uniqueArray(fc.tuple(fc.string({ minLength: 1, unit: 'binary' }), value), {
        maxLength: 3,
        selector: (p) => p[0],
      })
      .map((pairs) => sliceOf(pairs));
    fc.assert(
      fc.property(slice, slice, (a, b) => {
        expect(parseSliceKey(a.key)).toEqual(a);
        // Injective: equal keys only for equal slices.
        expect(a.key === b.key).toBe(JSON.stringify(a.pairs) === JSON.stringify(b.pairs));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps a 10 kB value whole', () => {
    const big = 'x;='.repeat(3500);
    const s = sliceFrom({ region: big });
    expect(parseSliceKey(s.key).pairs).toEqual([['region', big]]);
  });

  it('refuses keys that are not canonical, with an InputError naming the slice', () => {
    for (const bad of ['region', 'region=a=b', 'region=x\\', 'surface=a;region=b', '=x', 'region=a;region=b'])
      expect(() => parseSliceKey(bad, 'line 3 slice'), bad).toThrow(InputError);
    expect(() => parseSliceKey('region', 'line 3 slice')).toThrow(/line 3 slice/);
  });

  it('labels slices for people without merging NULL and the text', () => {
    expect(sliceLabel(sliceFrom({ region: 'BR', surface: 'live' }))).toBe('region=BR · surface=live');
    expect(sliceLabel(sliceFrom({ region: null }))).toBe('region=NULL');
    expect(sliceLabel(sliceFrom({ region: '(null)' }))).toBe('region="(null)"');
    expect(sliceLabel(sliceFrom({ region: 'NULL' }))).toBe('region="NULL"');
    expect(sliceLabel(TOTAL)).toBe('total');
  });

  it('siblings share dimensions and differ in a value', () => {
    expect(areSiblings(sliceFrom({ region: 'BR' }), sliceFrom({ region: 'ID' }))).toBe(true);
    expect(areSiblings(sliceFrom({ region: 'BR' }), sliceFrom({ policy: 'spam' }))).toBe(false);
    expect(renderSliceKey([])).toBe('');
  });
});
