import { describe, expect, it } from 'vitest';
import { createJobId, jobCatalog, jobNames, parseJobId } from './queues.ts';

describe('job ids', () => {
  it('name their job kind and queue', () => {
    for (const name of jobNames) {
      const id = createJobId(name);
      expect(parseJobId(id)).toEqual({ name, queue: jobCatalog[name].queue });
    }
    expect(createJobId('train')).not.toBe(createJobId('train'));
  });

  it("name a schedule's ticks (BullMQ's job scheduler ids) as retrain jobs of the batch queue", () => {
    expect(parseJobId('repeat:sc_0123456789abcdef0123:1767225600000')).toEqual({ name: 'retrain', queue: 'batch' });
    expect(parseJobId('repeat:sc_0123456789abcdef0123:')).toBeUndefined();
    expect(parseJobId('repeat:other:1767225600000')).toBeUndefined();
  });

  it('reject ids this system did not make', () => {
    expect(parseJobId('1')).toBeUndefined();
    expect(parseJobId('zz_00000000000000000000')).toBeUndefined();
    expect(parseJobId('tr_../../etc')).toBeUndefined();
  });

  it('every job kind bounds its retention and retries', () => {
    for (const name of jobNames) {
      const options = jobCatalog[name].options;
      expect(options.attempts).toBeGreaterThanOrEqual(2);
      expect(options.removeOnComplete.count).toBeGreaterThan(0);
      expect(options.removeOnFail.age).toBeGreaterThan(0);
    }
  });
});
