import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A real service process (the API or a worker), its structured log lines collected. */
export interface ServiceProcess {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  /** stdout lines that were not JSON (logs are meant to be JSON lines only). */
  nonJsonLines: string[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends a signal and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code when the process ends (by itself or by a signal). */
  exited: Promise<number | null>;
}

/** A real worker process (`apps/worker/src/main.ts`). */
export type WorkerProcess = ServiceProcess;

/**
 * Spawns `node --import tsx <entry>` from the repository root and resolves once a log line
 * matches `ready`, or once the URL `ready` answers 200 (starting tsx, and tfjs for a worker,
 * takes seconds on a 2-core machine).
 */
export async function startServiceProcess(
  entry: string,
  env: Record<string, string>,
  ready: ((line: Record<string, unknown>) => boolean) | string,
  options: { name?: string; readyTimeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, entry)], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const name = options.name ?? entry;
  const logs: Array<Record<string, unknown>> = [];
  const nonJsonLines: string[] = [];
  const waiters = new Set<{ match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }>();
  let buffered = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let line: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed !== 'object' || parsed === null) throw new Error('not a JSON object');
        line = parsed as Record<string, unknown>;
      } catch {
        if (text.trim() !== '') nonJsonLines.push(text);
        line = { msg: text, notJson: true };
      }
      logs.push(line);
      for (const waiter of waiters) if (waiter.match(line)) waiter.resolve(line);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForLog: ServiceProcess['waitForLog'] = (match, timeoutMs = 60_000) => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (line: Record<string, unknown>) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`${name} log line not seen in ${timeoutMs} ms; last log lines: ${JSON.stringify(logs.slice(-5)).slice(-2000)}; stderr: ${stderr.slice(-2000)}`));
      }, timeoutMs);
      waiters.add(waiter);
      void exited.then((code) => {
        if (!waiters.has(waiter)) return;
        clearTimeout(timer);
        waiters.delete(waiter);
        reject(new Error(`${name} exited (${code}) before the log line; stderr: ${stderr.slice(-2000)}`));
      });
    });
  };

  try {
    if (typeof ready === 'string') await waitForUrl(ready, exited, options.readyTimeoutMs ?? 60_000, () => stderr);
    else await waitForLog(ready, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    logs,
    nonJsonLines,
    stderr: () => stderr,
    waitForLog,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

async function waitForUrl(url: string, exited: Promise<number | null>, timeoutMs: number, stderr: () => string): Promise<void> {
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (code !== undefined) throw new Error(`process exited (${code}) before ${url} answered; stderr: ${stderr().slice(-2000)}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms; stderr: ${stderr().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  return startServiceProcess('apps/worker/src/main.ts', env, (line) => line.msg === 'worker ready', { name: 'worker' });
}

/** The API as a real process (`apps/api/src/main.ts`, as `npm start` runs it), ready once `/healthz` answers on PORT. */
export function startApiProcess(env: Record<string, string> & { PORT: string }): Promise<ServiceProcess> {
  return startServiceProcess('apps/api/src/main.ts', env, `http://127.0.0.1:${env.PORT}/healthz`, {
    name: 'api',
    readyTimeoutMs: 30_000,
  });
}
