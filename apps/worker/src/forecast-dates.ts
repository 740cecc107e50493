const DAY_MS = 24 * 3600 * 1000;

/** Typical spacing of ISO dates in days: the median of the last gaps (1 daily, 7 weekly, ~30 monthly). */
export function typicalStepDays(dates: readonly string[]): number | null {
  const recent = dates.slice(-31);
  const gaps: number[] = [];
  for (let i = 1; i < recent.length; i++) gaps.push(Math.round((Date.parse(recent[i]!) - Date.parse(recent[i - 1]!)) / DAY_MS));
  if (gaps.length === 0) return null;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}

/** The `count` ISO dates after `lastDate`, `stepDays` apart; monthly series step by calendar month. */
export function nextDates(lastDate: string, stepDays: number, count: number): string[] {
  const start = new Date(`${lastDate}T00:00:00Z`);
  const monthly = stepDays >= 28 && stepDays <= 31;
  return Array.from({ length: count }, (_, i) => {
    const next = new Date(start);
    if (monthly) next.setUTCMonth(start.getUTCMonth() + i + 1);
    else next.setTime(start.getTime() + (i + 1) * stepDays * DAY_MS);
    return next.toISOString().slice(0, 10);
  });
}
