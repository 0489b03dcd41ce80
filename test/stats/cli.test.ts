import { Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { run } from '../../cli/commands/stats.js';
import { InputError } from '../../shared/errors.js';
import { expectMatches, loadVectors } from './vectors.js';

/** Runs the command in-process with `stdin` as standard input; returns what it wrote to stdout. */
async function runStats(method: string, stdin: string): Promise<string> {
  const original = Object.getOwnPropertyDescriptor(process, 'stdin');
  Object.defineProperty(process, 'stdin', { value: Readable.from([Buffer.from(stdin)]), configurable: true });
  const written: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await run(method);
  } finally {
    write.mockRestore();
    if (original) Object.defineProperty(process, 'stdin', original);
  }
  return written.join('');
}

describe('vigil stats <method> (in-process)', () => {
  it.each(loadVectors().map((v) => [v.file, v] as const))('%s', async (_file, vector) => {
    const out = await runStats(vector.method, JSON.stringify(vector.input));
    expect(out.endsWith('\n')).toBe(true);
    expectMatches(JSON.parse(out) as Record<string, unknown>, vector.expected, vector.tolerance);
  });

  it('rejects invalid JSON and unknown methods with InputError', async () => {
    await expect(runStats('srm_chisq', '{"observed": [1,')).rejects.toThrow(/^stdin is not valid JSON: /);
    await expect(runStats('srm_chisq', '')).rejects.toBeInstanceOf(InputError);
    await expect(runStats('nope', '{}')).rejects.toThrow(
      /unknown stats method 'nope'; valid methods: welch_ttest/,
    );
    await expect(runStats('srm_chisq', '{"observed": [1], "expected_weights": [1]}')).rejects.toThrow(
      /observed/,
    );
  });
});
