/**
 * The one escaping of untrusted text for display: every character that can change what a
 * terminal, a CSV viewer or a chat client shows (C0/C1 controls such as NUL and ESC, DEL, bidi
 * overrides and isolates such as U+202E, zero-width and line/paragraph separators, the BOM,
 * invisible tag characters, lone surrogates) becomes a visible `\uXXXX` (`\u{XXXXX}` above the
 * BMP). Printable text, including every script, is unchanged. Applied at the edges — terminal
 * output, CSV fields, alert text — never to the data itself.
 */

// Cc (C0, DEL, C1) | Arabic letter mark | zero-width space and directional marks (ZWJ/ZWNJ stay: emoji and scripts need them) | LS, PS, bidi
// embeddings/overrides | word joiner..invisible operators, bidi isolates | deprecated format
// controls | BOM / ZWNBSP | interlinear annotations | tag characters | lone surrogates.
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}\u{d800}-\u{dfff}]/gu;
const UNSAFE_BUT_NEWLINE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}\u{d800}-\u{dfff}]/gu;

function visible(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const hex = cp.toString(16).toUpperCase();
  return cp > 0xffff ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
}

export interface EscapeOptions {
  /** Keep `\n` (multi-line text such as an email body); tabs and `\r` are still escaped. */
  readonly keepNewlines?: boolean;
}

/** `text` with every control or invisible formatting character written as `\uXXXX`. */
export function escapeControl(text: string, options: EscapeOptions = {}): string {
  const re = options.keepNewlines ? UNSAFE_BUT_NEWLINE : UNSAFE;
  re.lastIndex = 0;
  return re.test(text) ? text.replace(re, visible) : text;
}

/** Whether `escapeControl` would leave `text` as it is. */
export function isDisplaySafe(text: string): boolean {
  UNSAFE.lastIndex = 0;
  return !UNSAFE.test(text);
}
