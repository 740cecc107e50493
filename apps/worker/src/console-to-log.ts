import { format } from 'node:util';
import type { Logger } from 'pino';

/**
 * Sends what libraries print with `console` (tfjs' warnings and notices, Emscripten's "Aborted()")
 * through the logger, so the worker's output stays JSON lines. `console.error` and `console.warn`
 * become warn lines, the rest info; each line says it came from the console.
 */
export function routeConsoleToLog(log: Logger): void {
  const to =
    (level: 'info' | 'warn') =>
    (...args: unknown[]) =>
      log[level]({ source: 'console' }, format(...args));
  console.log = to('info');
  console.info = to('info');
  console.debug = to('info');
  console.warn = to('warn');
  console.error = to('warn');
}
