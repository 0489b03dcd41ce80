import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../shared/errors.js';
import { LineSplitter } from '../../shared/text/lines.js';

describe('LineSplitter', () => {
  it('gives the same lines however the text is cut into chunks (LF and CRLF)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'é', ',', '\r', '😀') }), { maxLength: 20 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 10 }),
        (lines, crlf, cuts) => {
          const text = lines.map((l) => l.replaceAll('\r', '')).join(crlf ? '\r\n' : '\n');
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const splitter = new LineSplitter('t');
          const got: string[] = [];
          let at = 0;
          for (const p of [...points, text.length]) {
            got.push(...splitter.push(text.slice(at, p)));
            at = p;
          }
          got.push(...splitter.end());
          const want = text === '' ? [] : text.split(/\r?\n/);
          if (want.at(-1) === '') want.pop();
          expect(got).toEqual(want);
        },
      ),
    );
  });

  it('refuses an over-long line as soon as the buffered part passes the cap', () => {
    const s = new LineSplitter('in.csv', 10);
    expect(s.push('short\n0123')).toEqual(['short']);
    expect(() => s.push('456789abc')).toThrow(InputError);
    expect(() => new LineSplitter('in.csv', 10).push('01234567890\n')).toThrow(
      /in.csv: line 1: longer than 10/,
    );
  });
});
