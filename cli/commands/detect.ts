import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CsvSeriesScorer, DEFAULT_MAX_SERIES, type ScoreSummary } from '../../shared/anomaly/score-csv.js';
import { InputError } from '../../shared/errors.js';
import { LineSplitter } from '../../shared/text/lines.js';

export interface DetectOptions {
  input: string;
  output: string;
  json?: boolean;
  /** Repeatable and/or comma-separated column names (commander collects them). */
  seriesColumn?: string[];
  maxSeries?: string;
}

/** Output lines gathered before one write: few syscalls, and still a small, fixed buffer. */
const BATCH_LINES = 4096;

/**
 * `vigil detect --input FILE --output FILE [--series-column COL]... [--json]`: scores a
 * `timestamp,value` CSV as a stream. Input is read in chunks and each row is written as soon as
 * it is scored, so memory is the detectors' state (one per series) plus one read chunk and one
 * output batch, whatever the file size. The output goes to a temp file in the same directory and
 * is renamed into place only after the last row, so a bad row anywhere leaves no output behind.
 */
export async function run(opts: DetectOptions): Promise<void> {
  const seriesColumns = (opts.seriesColumn ?? [])
    .flatMap((c) => c.split(','))
    .map((c) => c.trim())
    .filter((c) => c !== '');
  const maxSeries = opts.maxSeries === undefined ? DEFAULT_MAX_SERIES : Number(opts.maxSeries);
  if (!Number.isInteger(maxSeries) || maxSeries < 1)
    throw new InputError(`--max-series must be a positive integer, got '${opts.maxSeries}'`);
  const scorer = new CsvSeriesScorer(opts.input, { seriesColumns, maxSeries });
  const lines = new LineSplitter(opts.input);

  const tmp = join(dirname(opts.output), `.${basename(opts.output)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle;
  try {
    handle = await open(opts.input, 'r');
  } catch (err) {
    throw readError(opts.input, err);
  }
  const input = handle.createReadStream({ encoding: 'utf8', highWaterMark: 1 << 20 });
  let out: OutputFile | undefined;
  let summary: ScoreSummary;
  try {
    out = await OutputFile.open(tmp, opts.output);
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const text = `${batch.join('\n')}\n`;
      batch = [];
      await out!.write(text);
    };
    const feed = async (chunkLines: string[]) => {
      for (const line of chunkLines) {
        const o = scorer.line(line);
        if (o === undefined) continue;
        batch.push(o);
        if (batch.length >= BATCH_LINES) await flush();
      }
    };
    try {
      for await (const chunk of input) await feed(lines.push(chunk as string));
    } catch (err) {
      throw err instanceof InputError ? err : readError(opts.input, err);
    }
    await feed(lines.end());
    summary = scorer.end();
    await flush();
    await out.close();
    await rename(tmp, opts.output).catch((err: NodeJS.ErrnoException) => {
      throw new InputError(`cannot write --output ${opts.output}: ${err.code ?? String(err)}`);
    });
  } catch (err) {
    input.destroy();
    out?.destroy();
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ input: opts.input, output: opts.output, seriesColumns, ...summary })}\n`,
    );
  } else {
    const extra = [
      summary.series > 1 || seriesColumns.length > 0 ? `${summary.series} series` : '',
      summary.gaps > 0 ? `${summary.gaps} gaps` : '',
      summary.duplicateTimestamps > 0 ? `${summary.duplicateTimestamps} duplicate timestamps` : '',
      summary.outOfOrder > 0 ? `${summary.outOfOrder} out of order` : '',
    ].filter(Boolean);
    process.stdout.write(
      `scored ${summary.rows} rows, ${summary.anomalies} anomalies${extra.length > 0 ? ` (${extra.join(', ')})` : ''} -> ${opts.output}\n`,
    );
  }
}

function readError(input: string, err: unknown): InputError {
  const code = (err as NodeJS.ErrnoException).code;
  return new InputError(
    `cannot read --input ${input}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`,
  );
}

/** The temp output file: writes wait for drain (backpressure); any stream error fails the next call. */
class OutputFile {
  private failure: NodeJS.ErrnoException | undefined;

  private constructor(
    private readonly stream: WriteStream,
    private readonly output: string,
  ) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      this.failure ??= err;
    });
  }

  static open(tmp: string, output: string): Promise<OutputFile> {
    return new Promise((resolve, reject) => {
      const s = createWriteStream(tmp, { flags: 'wx' });
      const onError = (err: NodeJS.ErrnoException) => reject(OutputFile.error(output, err));
      s.once('error', onError);
      s.once('open', () => {
        s.off('error', onError);
        resolve(new OutputFile(s, output));
      });
    });
  }

  write(text: string): Promise<void> {
    this.check();
    if (this.stream.write(text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => reject(OutputFile.error(this.output, err));
      this.stream.once('error', onError);
      this.stream.once('drain', () => {
        this.stream.off('error', onError);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    this.check();
    return new Promise((resolve, reject) => {
      this.stream.end(() => (this.failure ? reject(OutputFile.error(this.output, this.failure)) : resolve()));
    });
  }

  destroy(): void {
    this.stream.destroy();
  }

  private check(): void {
    if (this.failure) throw OutputFile.error(this.output, this.failure);
  }

  private static error(output: string, err: NodeJS.ErrnoException): InputError {
    return new InputError(`cannot write --output ${output}: ${err.code ?? String(err)}`);
  }
}
