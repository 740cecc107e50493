import { describe, expect, it } from 'vitest';
import { nextDates, typicalStepDays } from './forecast-dates.ts';

describe('forecast dates', () => {
  it('continue daily and monthly series', () => {
    expect(typicalStepDays(['2017-09-20', '2017-09-21', '2017-09-22'])).toBe(1);
    expect(nextDates('2017-09-22', 1, 3)).toEqual(['2017-09-23', '2017-09-24', '2017-09-25']);
    expect(typicalStepDays(['2010-01-01', '2010-02-01', '2010-03-01', '2010-04-01'])).toBe(31);
    expect(nextDates('2010-03-01', 30, 2)).toEqual(['2010-04-01', '2010-05-01']);
    expect(typicalStepDays(['2010-01-01'])).toBeNull();
  });
});
