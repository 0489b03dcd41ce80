import { execFileSync } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBounded, readFileBounded } from '../../cli/bounded-read.js';
import { readConfigFile } from '../../cli/options.js';
import { MAX_CONFIG_BYTES, MAX_JSON_INPUT_BYTES } from '../../shared/config/limits.js';
import { parseYamlText } from '../../shared/config/yaml.js';
import { InputError } from '../../shared/errors.js';
import { vigil } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-limits-'));

describe('config size limit, before any parsing', () => {
  it('the limits are what the README documents', () => {
    expect(MAX_CONFIG_BYTES).toBe(1024 * 1024);
    expect(MAX_JSON_INPUT_BYTES).toBe(64 * 1024 * 1024);
  });

  it('parseYamlText refuses text over the limit, counting UTF-8 bytes', () => {
    const justOver = `# ${'é'.repeat(MAX_CONFIG_BYTES / 2)}\n`;
    expect(justOver.length).toBeLessThan(MAX_CONFIG_BYTES);
    expect(() => parseYamlText(justOver, 'big.yaml')).toThrow(/^big\.yaml: larger than 1 MiB/);
    expect(parseYamlText(`version: 1\n# ${'x'.repeat(MAX_CONFIG_BYTES - 100)}\n`, 'ok.yaml')).toEqual({
      version: 1,
    });
  });

  it('a 50 MB --config is refused from its size alone, at once', async () => {
    const file = path.join(dir, 'huge.yaml');
    writeFileSync(file, 'version: 1\n');
    truncateSync(file, 50_000_000);
    const started = performance.now();
    await expect(readConfigFile(file)).rejects.toThrow(
      new RegExp(
        `^--config ${file.replaceAll('/', '\\/')}: larger than 1 MiB \\(50000000 bytes\\); refused before parsing$`,
      ),
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a device or endless pipe is read only up to the limit', async () => {
    await expect(readFileBounded('/dev/zero', 4096, 'zero')).rejects.toThrow(/^zero: larger than/);
    const endless = Readable.from(
      (function* () {
        for (;;) yield Buffer.alloc(65536, 120);
      })(),
    );
    await expect(readBounded(endless, MAX_JSON_INPUT_BYTES, 'stdin')).rejects.toBeInstanceOf(InputError);
  });

  it('the built CLI: exit 2 and one line for a huge config and for huge stdin JSON', () => {
    const file = path.join(dir, 'huge2.yaml');
    writeFileSync(file, 'version: 1\n');
    truncateSync(file, 5_000_000);
    const r = vigil([
      'run',
      'metrics',
      '--lake',
      dir,
      '--config',
      file,
      '--grain',
      'day',
      '--from',
      '2026-01-01',
      '--to',
      '2026-01-02',
      '--out',
      path.join(dir, 'm.csv'),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `vigil: error: --config ${file}: larger than 1 MiB (5000000 bytes); refused before parsing`,
    ]);
    // 65 MiB of JSON through a pipe: refused at the limit, not parsed.
    const stdin = execFileSync('head', ['-c', String(65 << 20), '/dev/zero'], { maxBuffer: 70 << 20 });
    const s = vigil(['stats', 'srm_chisq'], stdin.toString('latin1'));
    expect(s.status).toBe(2);
    expect(s.stderr).toMatch(/^vigil: error: stdin: larger than 64 MiB; refused before parsing\n$/);
  });
});
