import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LakeInventory, LakeObject } from '../../ports/lake-inventory.js';

function isMissing(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The LakeInventory of a local lake folder: `<lake>/<table>/dt=<dt>/hour=<HH>/<file>`, by stat. */
export class FsLakeInventory implements LakeInventory {
  constructor(private readonly lake: string) {}

  async objects(table: string, dt: string): Promise<LakeObject[]> {
    const dir = path.join(this.lake, table, `dt=${dt}`);
    let hours: import('node:fs').Dirent[];
    try {
      hours = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const out: LakeObject[] = [];
    for (const h of hours) {
      if (!h.isDirectory() || !h.name.startsWith('hour=')) continue;
      const folder = path.join(dir, h.name);
      for (const f of await readdir(folder, { withFileTypes: true })) {
        if (!f.isFile()) continue;
        const file = path.join(folder, f.name);
        const s = await stat(file).catch((err) => {
          if (isMissing(err)) return undefined; // removed while listing
          throw err;
        });
        if (!s) continue;
        out.push({
          hour: h.name.slice(5),
          key: `${table}/dt=${dt}/${h.name}/${f.name}`,
          size: s.size,
          modified: s.mtime,
        });
      }
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
