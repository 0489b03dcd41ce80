import { open } from 'node:fs/promises';
import { tooLarge } from '../shared/config/limits.js';

/**
 * Reads a stream as UTF-8 text, giving up as soon as more than `limit` bytes arrived: memory
 * stays at the limit whatever is on the other end (a huge file, /dev/zero, an endless pipe).
 */
export async function readBounded(
  source: AsyncIterable<Buffer | string>,
  limit: number,
  what: string,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > limit) throw tooLarge(what, limit);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A file's text, at most `limit` bytes: a regular file over it is refused from its size alone,
 * before reading; anything else (a FIFO, a device) is read only up to the limit.
 */
export async function readFileBounded(file: string, limit: number, what: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const st = await handle.stat();
    if (st.isFile() && st.size > limit) throw tooLarge(what, limit, st.size);
    return await readBounded(handle.createReadStream({ autoClose: false }), limit, what);
  } finally {
    await handle.close();
  }
}
