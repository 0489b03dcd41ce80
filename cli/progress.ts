/** A one-line progress bar on stderr, only on a TTY and never with --quiet or --json. */
export interface Progress {
  update(done: number, total: number, label?: string): void;
  done(): void;
}

export function progressBar(opts: { quiet?: boolean; json?: boolean }): Progress {
  const enabled = !opts.quiet && !opts.json && process.stderr.isTTY === true;
  const started = Date.now();
  let last = 0;
  return {
    update(done, total, label = '') {
      if (!enabled) return;
      const now = Date.now();
      if (done < total && now - last < 80) return;
      last = now;
      const width = 30;
      const filled = Math.round((width * done) / Math.max(1, total));
      const secs = ((now - started) / 1000).toFixed(1);
      process.stderr.write(
        `\r\x1b[2K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${label} ${secs}s`,
      );
    },
    done() {
      if (enabled) process.stderr.write('\r\x1b[2K');
    },
  };
}

export function useColor(): boolean {
  return process.stdout.isTTY === true && !process.env.NO_COLOR;
}
