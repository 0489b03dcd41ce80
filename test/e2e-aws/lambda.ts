import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

export interface FunctionSpec {
  readonly name: string;
  /** `index.handler` → the bundle file and its export. */
  readonly bundle: string;
  readonly handler: string;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  /** The environment the function runs with (synthesized variables + the runtime's own). */
  readonly env: Record<string, string>;
  /** A CA certificate (PEM) the runtime trusts besides Node's: the emulators' self-signed one. */
  readonly trustedCa?: string;
}

export interface Invocation {
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: { name?: string; message?: string; stack?: string };
  /** Module import time (the cold-start init of the bundle). */
  readonly initMs: number;
  /** What the function wrote to stdout/stderr (Powertools JSON lines). */
  readonly logs: string;
}

const RUNNER = path.join(import.meta.dirname, 'lambda-runner.mjs');

/** Invokes a deployed bundle once, cold, in a worker with its own process.env. */
export async function invoke(fn: FunctionSpec, event: unknown): Promise<Invocation> {
  const worker = new Worker(RUNNER, {
    env: fn.env,
    stdout: true,
    stderr: true,
    workerData: {
      bundle: fn.bundle,
      handler: fn.handler,
      event,
      timeoutMs: fn.timeoutMs,
      functionName: fn.name,
      memoryMb: fn.memoryMb,
      requestId: randomUUID(),
      trustedCa: fn.trustedCa,
    },
  });
  let logs = '';
  worker.stdout.on('data', (d) => {
    logs += String(d);
  });
  worker.stderr.on('data', (d) => {
    logs += String(d);
  });
  const result = await new Promise<Omit<Invocation, 'logs'>>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`${fn.name} timed out after ${fn.timeoutMs} ms`));
    }, fn.timeoutMs);
    worker.once('message', (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  await worker.terminate();
  return { ...result, logs };
}
