/**
 * No copyleft in what Vigil ships: walks the production dependency tree recorded in
 * package-lock.json (root `dependencies` and `optionalDependencies`, resolved the way Node
 * resolves them, nested `node_modules` first) and reports every package whose license cannot be
 * satisfied without a copyleft one. Dev-only packages (the AGPL IAM simulator, for one) are
 * not shipped, so they are not checked.
 *
 *   npx tsx scripts/license-check.ts [package-lock.json]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import parseSpdx from 'spdx-expression-parse';

interface LockPackage {
  name?: string;
  version?: string;
  license?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  link?: boolean;
  resolved?: string;
}

export interface LockFile {
  lockfileVersion?: number;
  packages?: Record<string, LockPackage>;
}

export interface Finding {
  /** Where the package sits in the lock (`node_modules/a/node_modules/b`). */
  readonly path: string;
  readonly version: string;
  /** The license field as recorded, or undefined when the lock records none. */
  readonly license: string | undefined;
  readonly reason: 'copyleft' | 'unknown';
  /** One dependency chain from the root that pulls it in. */
  readonly via: readonly string[];
}

/**
 * Strong and weak copyleft families (SPDX ids, matched by prefix so every version and the
 * -only/-or-later forms count). Weak copyleft (LGPL, MPL, EPL, CDDL…) is listed too: a Lambda
 * bundle statically includes its dependencies, which is exactly where those terms bite.
 */
export const COPYLEFT_PREFIXES = [
  'GPL-',
  'AGPL-',
  'LGPL-',
  'MPL-',
  'EPL-',
  'SSPL-',
  'CDDL-',
  'EUPL-',
  'OSL-',
  'CPL-',
  'CPAL-',
  'CECILL-',
  'RPL-',
  'Sleepycat',
  'QPL-',
  'MS-RL',
  'APSL-',
  'NPL-',
  'CC-BY-SA-',
  'CC-BY-NC',
] as const;

type Spdx = ReturnType<typeof parseSpdx>;

export function isCopyleftId(id: string): boolean {
  return COPYLEFT_PREFIXES.some((p) => id === p || id.startsWith(p));
}

/**
 * Whether a license expression can be honoured without accepting a copyleft license: an OR
 * needs one acceptable branch, an AND needs both. Undefined when the text is no SPDX expression.
 */
export function permitsNonCopyleft(expression: string): boolean | undefined {
  let tree: Spdx;
  try {
    tree = parseSpdx(expression.trim());
  } catch {
    return undefined;
  }
  const ok = (node: Spdx): boolean => {
    if ('license' in node) return !isCopyleftId(node.license);
    return node.conjunction === 'or' ? ok(node.left) || ok(node.right) : ok(node.left) && ok(node.right);
  };
  return ok(tree);
}

/** Node's lookup: `<from>/node_modules/<name>`, then each enclosing node_modules, then the root. */
function resolve(packages: Record<string, LockPackage>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

/** The production tree's license problems, in lock order. Throws when the lock is not v2/v3. */
export function checkLicenses(lock: LockFile): Finding[] {
  const packages = lock.packages;
  if (!packages?.['']) throw new Error('package-lock.json has no "packages" map (lockfile v2 or v3 needed)');
  const via = new Map<string, string[]>([['', []]]);
  const queue = [''];
  while (queue.length > 0) {
    const at = queue.shift()!;
    const pkg = packages[at]!;
    const optionalPeers = pkg.peerDependenciesMeta ?? {};
    const wanted = [
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.optionalDependencies ?? {}),
      // A required peer is installed and shipped alongside; an optional one only if something else wants it.
      ...Object.keys(pkg.peerDependencies ?? {}).filter((n) => !optionalPeers[n]?.optional),
    ];
    for (const name of wanted) {
      let target = resolve(packages, at, name);
      if (target === undefined) continue; // an optional dependency not installed for this platform
      // A workspace link points at the package's real folder.
      const linked = packages[target]!;
      if (linked.link && linked.resolved && packages[linked.resolved]) target = linked.resolved;
      if (via.has(target)) continue;
      via.set(target, [...via.get(at)!, name]);
      queue.push(target);
    }
  }
  const findings: Finding[] = [];
  for (const [path, chain] of via) {
    if (path === '') continue;
    const pkg = packages[path]!;
    const license = pkg.license;
    const verdict = license === undefined ? undefined : permitsNonCopyleft(license);
    if (verdict === true) continue;
    findings.push({
      path,
      version: pkg.version ?? '?',
      license,
      reason: verdict === false ? 'copyleft' : 'unknown',
      via: chain,
    });
  }
  return findings.sort((a, b) => a.path.localeCompare(b.path));
}

export function formatFinding(f: Finding): string {
  const what =
    f.reason === 'copyleft'
      ? `copyleft license ${f.license}`
      : `no SPDX license (${f.license ?? 'none recorded'})`;
  return `${f.path}@${f.version}: ${what}, via ${f.via.join(' > ')}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2] ?? 'package-lock.json';
  const findings = checkLicenses(JSON.parse(readFileSync(file, 'utf8')) as LockFile);
  for (const f of findings) console.error(formatFinding(f));
  if (findings.length > 0) {
    console.error(`${findings.length} runtime dependencies are copyleft or unlicensed in ${file}`);
    process.exit(1);
  }
  console.log(`runtime dependencies in ${file}: no copyleft`);
}
