import { InputError } from '../errors.js';

/** Longest line accepted by line-oriented inputs (CSV rows): 1 MiB of text. */
export const MAX_LINE_CHARS = 1 << 20;

/**
 * Splits streamed text into lines (`\n` or `\r\n`) holding at most one partial line, so memory
 * is bounded by the longest line, which is itself capped: a file without line breaks is refused
 * at MAX_LINE_CHARS instead of being buffered whole.
 */
export class LineSplitter {
  private partial = '';
  private lineNo = 0;

  constructor(
    private readonly source: string,
    private readonly maxChars = MAX_LINE_CHARS,
  ) {}

  /** The complete lines in `chunk` (and the partial line before it), without line breaks. */
  push(chunk: string): string[] {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop()!;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      this.lineNo++;
      if (line.length > this.maxChars) this.tooLong(this.lineNo);
      if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
    }
    if (this.partial.length > this.maxChars) this.tooLong(this.lineNo + 1);
    return lines;
  }

  /** The last line when the text does not end with a line break. */
  end(): string[] {
    const rest = this.partial;
    this.partial = '';
    if (rest === '') return [];
    this.lineNo++;
    return [rest.endsWith('\r') ? rest.slice(0, -1) : rest];
  }

  private tooLong(lineNo: number): never {
    throw new InputError(`${this.source}: line ${lineNo}: longer than ${this.maxChars} characters`);
  }
}
