import { hostname } from 'node:os';

/** This process, as `host:pid`: precise enough for another process to tell whether it still runs. */
export const THIS_PROCESS = `${hostname()}:${process.pid}`;

/**
 * Whether the process named `host:pid` still runs: undefined when it is on another host (or the
 * text names none), so only the caller's own rules (expiry, --force) can judge it.
 */
export function localProcessAlive(hostPid: string): boolean | undefined {
  const m = /^(.+):(\d+)$/.exec(hostPid);
  if (!m || m[1] !== hostname()) return undefined;
  try {
    process.kill(Number(m[2]), 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
