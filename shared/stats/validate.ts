import * as z from 'zod';
import { InputError } from '../errors.js';

/**
 * Input validation shared by every method: zod schemas for the common shapes, a parse that turns
 * the first zod issue into an InputError naming the field and the offending value, and a guard
 * that refuses to hand back a NaN or an infinity.
 */

export const alphaSchema = z
  .number()
  .gt(0, { message: 'alpha must be in (0, 1)' })
  .lt(1, { message: 'alpha must be in (0, 1)' })
  .default(0.05);

export const finite = z.number();

/** A two-sample method's input: the control and treatment arms, of one shape, and α. */
export function twoArms<A extends z.ZodType>(arm: A) {
  return z.object({ control: arm, treatment: arm, alpha: alphaSchema });
}

/** A sample of at least `min` finite numbers. */
export function sample(min: number) {
  return z.array(z.number()).min(min, { message: `needs at least ${min} value${min === 1 ? '' : 's'}` });
}

export const countSchema = z.number().int().nonnegative();

function preview(value: unknown): string {
  if (value === undefined) return 'undefined';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(input)' : out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Parses `input` with `schema`; on failure throws InputError("<what>: <field>: <problem>, got <value>"). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new InputError(`${what}: invalid input`);
  const value = valueAt(input, issue.path);
  // Cross-field checks already say what is wrong; a whole array or object would only add noise.
  const showValue =
    value !== undefined && (issue.code !== 'custom' || value === null || typeof value !== 'object');
  const got = showValue ? `, got ${preview(value)}` : '';
  throw new InputError(`${what}: ${formatPath(issue.path)}: ${issue.message}${got}`);
}

/** Throws InputError naming the field unless `value` is finite (a degenerate input reached a formula). */
export function requireFinite(what: string, field: string, value: number): number {
  if (!Number.isFinite(value)) throw new InputError(`${what}: ${field} is ${value} (degenerate input)`);
  return value;
}

/**
 * Walks a result object and throws InputError at the first non-finite number, so that a degenerate
 * input is reported instead of leaking NaN/Infinity into JSON (where it would become null).
 */
export function checkFinite<T>(what: string, result: T): T {
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'number') {
      requireFinite(what, path, value);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        walk(item, `${path}[${i}]`);
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) walk(item, path === '' ? key : `${path}.${key}`);
    }
  };
  walk(result, '');
  return result;
}
