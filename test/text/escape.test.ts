import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeControl, isDisplaySafe } from '../../shared/text/escape.js';

describe('escapeControl', () => {
  it('writes NUL, ESC sequences, DEL, C1 and bidi overrides as visible \\uXXXX', () => {
    expect(escapeControl('a\u0000b')).toBe('a\\u0000b');
    expect(escapeControl('\u001b[31mred\u001b[0m')).toBe('\\u001B[31mred\\u001B[0m');
    expect(escapeControl('x\u007fy\u0085z\u009b')).toBe('x\\u007Fy\\u0085z\\u009B');
    expect(escapeControl('user\u202Egnp.exe')).toBe('user\\u202Egnp.exe');
    expect(escapeControl('\u2066a\u2069\u200f\u061c\ufeff')).toBe('\\u2066a\\u2069\\u200F\\u061C\\uFEFF');
    expect(escapeControl('line\u2028sep')).toBe('line\\u2028sep');
    expect(escapeControl('tag\u{E0041}')).toBe('tag\\u{E0041}');
    expect(escapeControl('lone\ud800')).toBe('lone\\uD800');
    expect(escapeControl('tab\tcr\rlf\n')).toBe('tab\\u0009cr\\u000Dlf\\u000A');
  });

  it('keeps newlines only when asked', () => {
    expect(escapeControl('a\nb\r\n\u001b', { keepNewlines: true })).toBe('a\nb\\u000D\n\\u001B');
  });

  it('leaves printable text of any script alone, emoji and combining marks included', () => {
    for (const s of [
      'São Paulo',
      'İstanbul',
      '日本語',
      'עברית',
      'مرحبا',
      '👩🏽‍💻',
      'e\u0301',
      'می\u200cخواهم',
      'a\\b;c=d',
      '',
    ])
      expect(escapeControl(s)).toBe(s);
  });

  it('output never holds an unsafe character and escaping is stable on its own output', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const once = escapeControl(s);
        expect(isDisplaySafe(once)).toBe(true);
        expect(escapeControl(once)).toBe(once);
        // Nothing printable is lost or reordered: removing the escapes of a safe string is identity.
        if (isDisplaySafe(s)) expect(once).toBe(s);
      }),
    );
  });
});
