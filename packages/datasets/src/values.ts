/** Cell parsers: each returns a value, `null` for a missing one, or an explanation of what is wrong. */

/** A parsed cell: `{ value }` (possibly `null` for a missing cell) or `{ problem }`. */
export type CellResult<T> = { value: T; problem?: undefined } | { value?: undefined; problem: string };

/** Cells that mean "no value" in CoinMarketCap exports. */
export function isMissingCell(raw: string): boolean {
  return raw === '' || raw === '-';
}

// Optional sign; digits with correctly placed thousands separators, or plain digits; optional
// fraction; optional exponent. Anything else (`1.2.3`, `NaN`, `Infinity`, `1,23`, `$5`) is refused.
const NUMBER = /^[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a number cell (already trimmed): `3630.7`, `"1,194,830,000"`, `-0.5`, `1e3`.
 * `-` and the empty string are missing (`null`). Never returns NaN or ±Infinity.
 */
export function parseNumberCell(raw: string): CellResult<number | null> {
  if (isMissingCell(raw)) return MISSING;
  if (!NUMBER.test(raw)) return { problem: `${quote(raw)} is not a number` };
  const value = raw.includes(',') ? parseGrouped(raw) : Number(raw);
  if (!Number.isFinite(value)) return { problem: `${quote(raw)} is out of range` };
  return { value };
}

const MISSING: CellResult<null> = Object.freeze({ value: null });
const PLAIN_GROUPED_INTEGER = /^\d{1,3}(?:,\d{3}){1,4}$/;

/**
 * A validated number with thousands separators. Volumes and market caps are whole numbers below
 * 10^15, exact in a double, so the usual case skips building a comma-free copy (the slow part).
 */
function parseGrouped(raw: string): number {
  if (PLAIN_GROUPED_INTEGER.test(raw)) {
    let value = 0;
    for (let i = 0; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      if (c !== 44) value = value * 10 + (c - 48);
    }
    return value;
  }
  return Number(raw.replace(/,/g, ''));
}

const MONTHS: Record<string, number> = {
  jan: 1,
  january: 1,
  feb: 2,
  february: 2,
  mar: 3,
  march: 3,
  apr: 4,
  april: 4,
  may: 5,
  jun: 6,
  june: 6,
  jul: 7,
  july: 7,
  aug: 8,
  august: 8,
  sep: 9,
  sept: 9,
  september: 9,
  oct: 10,
  october: 10,
  nov: 11,
  november: 11,
  dec: 12,
  december: 12,
};

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// "Sep 22, 2017" (CoinMarketCap), "Jan 1 2000" (vega-datasets), "September 22, 2017"
const MONTH_DAY_YEAR = /^([A-Za-z]{3,9})\.? +(\d{1,2}),? +(\d{4})$/;
// "22 Sep 2017", "22-Sep-2017": day first, but the month is a word, so still unambiguous
const DAY_MONTH_YEAR = /^(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ -](\d{4})$/;
// A spreadsheet day number (1900 date system): what a date cell becomes when a CSV is edited and
// saved from Excel. The bundled Monero.csv has one (`42093` between Mar 29 and Mar 31, 2015).
// Five digits only: 10000 is 1927-05-18 and 99999 is 2173-10-13, so years and Unix times never match.
const SPREADSHEET_SERIAL = /^\d{5}$/;
const SERIAL_EPOCH_MS = Date.UTC(1899, 11, 30);

/**
 * Parses a date cell (already trimmed) to ISO `YYYY-MM-DD`. Accepts `2017-09-22`,
 * `Sep 22, 2017`, `Jan 1 2000`, `September 22, 2017`, `22 Sep 2017` and five-digit spreadsheet
 * day numbers (`42093` is 2015-03-30); refuses all-numeric
 * forms like `09/22/2017`, whose day/month order is ambiguous, and impossible dates (`Feb 30`).
 */
export function parseDateCell(raw: string): CellResult<string> {
  let year: number;
  let month: number | undefined;
  let day: number;
  const first = raw.charCodeAt(0);
  if (first >= 48 && first <= 57 && SPREADSHEET_SERIAL.test(raw)) {
    return { value: new Date(SERIAL_EPOCH_MS + Number(raw) * 86_400_000).toISOString().slice(0, 10) };
  }
  let match = ISO_DATE.exec(raw);
  if (match) {
    year = Number(match[1]);
    month = Number(match[2]);
    day = Number(match[3]);
  } else if ((match = MONTH_DAY_YEAR.exec(raw))) {
    month = MONTHS[match[1]!.toLowerCase()];
    day = Number(match[2]);
    year = Number(match[3]);
  } else if ((match = DAY_MONTH_YEAR.exec(raw))) {
    day = Number(match[1]);
    month = MONTHS[match[2]!.toLowerCase()];
    year = Number(match[3]);
  } else {
    const hint = isMissingCell(raw) ? 'the date is missing' : `${quote(raw)} is not a date`;
    return { problem: `${hint} (expected YYYY-MM-DD or like "Sep 22, 2017")` };
  }
  if (month === undefined || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return { problem: `${quote(raw)} is not a valid calendar date` };
  }
  return { value: `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}` };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Quotes a cell for a message, shortened so that a huge garbage cell cannot flood a log. */
export function quote(raw: string): string {
  return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
}
