import { stringify } from 'yaml';
import { CORE_CATALOG } from '../../shared/config/core-catalog.js';

/** Prints the built-in core catalog as YAML, a starting point for a custom config. */
export async function run(): Promise<void> {
  process.stdout.write(
    `# Vigil core trust & safety metric catalog\n${stringify(CORE_CATALOG, { lineWidth: 0 })}`,
  );
}
