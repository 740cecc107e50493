import { afterAll, describe, expect, it } from 'vitest';
import { routeProcessWarningsToLog } from './redis.ts';

const before = process.listeners('warning');
afterAll(() => {
  process.removeAllListeners('warning');
  for (const listener of before) process.on('warning', listener);
});

describe('process warnings', () => {
  it('go through the logger instead of stderr', async () => {
    const lines: Array<{ fields: Record<string, unknown>; message: string }> = [];
    routeProcessWarningsToLog({ warn: (fields, message) => lines.push({ fields, message }), info: () => {} });
    expect(process.listenerCount('warning')).toBe(1);
    process.emitWarning('11 closing listeners added to [Queue]', { type: 'MaxListenersExceededWarning', code: 'MLQ_TEST' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([{ fields: { warning: 'MaxListenersExceededWarning', code: 'MLQ_TEST' }, message: '11 closing listeners added to [Queue]' }]);
  });
});
