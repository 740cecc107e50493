const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A series written exactly as CoinMarketCap exports it: newest first, "Sep 22, 2017", quoted thousands, `-` for missing. */
export function toCoinCsv(closes: readonly number[], firstDay = '2016-01-01'): string {
  const start = Date.parse(`${firstDay}T00:00:00Z`);
  const rows = closes.map((close, i) => {
    const date = new Date(start + i * 86_400_000);
    const label = `"${months[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, '0')}, ${date.getUTCFullYear()}"`;
    const volume = i % 7 === 0 ? '-' : `"${(1_000_000 + i * 1_234).toLocaleString('en-US')}"`;
    const price = close.toFixed(2);
    return `${label},${price},${price},${price},${price},${volume},"${Math.round(close * 1_000_000).toLocaleString('en-US')}"`;
  });
  return ['Date,Open,High,Low,Close,Volume,Market Cap', ...rows.reverse()].join('\n') + '\n';
}
