import { ACCEPTED_COLUMNS, detectFormat, findColumn, normalizeHeader } from './columns.ts';
import { CsvSyntaxError, readCsvRecords, type CsvRecord } from './csv.ts';
import { DatasetParseError } from './errors.ts';
import { seriesNameFromFile } from './file-name.ts';
import { PriceCollection } from './price-collection.ts';
import type { ParsePriceCsvOptions, PriceFormat, PriceRow } from './types.ts';
import { parseDateCell, parseNumberCell, quote } from './values.ts';

/** Field index of each role; -1 where the file lacks an optional column. */
interface Layout {
  format: PriceFormat;
  header: string[];
  date: number;
  close: number;
  series: number;
  open: number;
  high: number;
  low: number;
  volume: number;
  marketCap: number;
}

interface SeriesBuilder {
  rows: PriceRow[];
  /** ISO date → line, to name both lines of a duplicate. */
  lines: Map<string, number>;
}

/**
 * Parses a price CSV, in CoinMarketCap `ohlc` form (one series) or `long` form (many series),
 * into a {@link PriceCollection} with each series in ascending date order.
 * @throws DatasetParseError naming file, line and column for anything it cannot read exactly:
 *   no NaN, Infinity or guessed value ever gets through
 */
export function parsePriceCsv(text: string, options: ParsePriceCsvOptions): PriceCollection {
  const { file } = options;
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    throw new DatasetParseError({ file, line: lineAt(text, nul), problem: 'contains NUL bytes: binary data, not CSV text' });
  }
  let layout: Layout | undefined;
  const series = new Map<string, SeriesBuilder>();
  let dataRows = 0;
  try {
    for (const record of readCsvRecords(text, file)) {
      if (isBlank(record)) continue;
      if (!layout) {
        layout = resolveLayout(record, options);
        continue;
      }
      addRow(record, layout, series, options);
      dataRows++;
    }
  } catch (error) {
    if (error instanceof CsvSyntaxError && layout) {
      const column = layout.header[error.fieldIndex];
      throw new DatasetParseError({ file, line: error.line!, ...(column !== undefined && { column }), problem: error.problem });
    }
    throw error;
  }
  if (!layout) throw new DatasetParseError({ file, problem: 'the file is empty' });
  if (dataRows === 0) throw new DatasetParseError({ file, problem: 'the file has a header but no data rows' });

  const byName = new Map<string, PriceRow[]>();
  for (const [name, { rows }] of series) {
    // CoinMarketCap files are newest first: reversing is enough, the collection sorts anything else.
    if (rows.length > 1 && rows[0]!.date > rows[rows.length - 1]!.date) rows.reverse();
    byName.set(name, rows);
  }
  return new PriceCollection(layout.format, byName);
}

function resolveLayout(record: CsvRecord, options: ParsePriceCsvOptions): Layout {
  const header = record.fields.map((name) => name.trim());
  const normalized = header.map(normalizeHeader);
  const format = !options.format || options.format === 'auto' ? detectFormat(normalized) : options.format;
  const accepted = {
    date: ACCEPTED_COLUMNS.date,
    ...(format === 'long' && { series: ACCEPTED_COLUMNS.series }),
    close: format === 'long' ? ACCEPTED_COLUMNS.longClose : ACCEPTED_COLUMNS.ohlcClose,
  };
  const missing = Object.entries(accepted)
    .filter(([, names]) => findColumn(normalized, names) < 0)
    .map(([role, names]) => `${role} (one of ${names.map((n) => `"${n}"`).join(', ')})`);
  if (missing.length > 0) {
    const found = header.length > 8 ? `${header.length} columns` : header.map((h) => quote(h)).join(', ');
    throw new DatasetParseError({
      file: options.file,
      line: record.line,
      problem: `missing required column${missing.length > 1 ? 's' : ''} for ${format} format: ${missing.join('; ')}; found ${found}`,
    });
  }
  const column = (names: readonly string[]): number => {
    const index = findColumn(normalized, names);
    if (index >= 0 && normalized.indexOf(normalized[index]!, index + 1) >= 0) {
      throw new DatasetParseError({
        file: options.file,
        line: record.line,
        column: header[index]!,
        problem: 'the column appears more than once in the header',
      });
    }
    return index;
  };
  const optional = (names: readonly string[]): number => (format === 'ohlc' ? column(names) : -1);
  return {
    format,
    header,
    date: column(accepted.date),
    close: column(accepted.close),
    series: format === 'long' ? column(ACCEPTED_COLUMNS.series) : -1,
    open: optional(ACCEPTED_COLUMNS.open),
    high: optional(ACCEPTED_COLUMNS.high),
    low: optional(ACCEPTED_COLUMNS.low),
    volume: optional(ACCEPTED_COLUMNS.volume),
    marketCap: optional(ACCEPTED_COLUMNS.marketCap),
  };
}

// Hot path: plain functions, no closures per row (tsx/esbuild wrap every closure in a naming
// helper, which made parsing several times slower).
function addRow(record: CsvRecord, layout: Layout, series: Map<string, SeriesBuilder>, options: ParsePriceCsvOptions): void {
  const { fields, line } = record;
  const { file } = options;
  if (fields.length !== layout.header.length) {
    throw new DatasetParseError({
      file,
      line,
      problem: `expected ${layout.header.length} fields like the header, found ${fields.length}`,
    });
  }
  const date = parseDateCell(fields[layout.date]!.trim());
  if (date.problem !== undefined) failCell(record, layout, options, layout.date, date.problem);
  const close = readNumber(record, layout, options, layout.close);
  if (close === null) {
    const raw = fields[layout.close]!.trim();
    failCell(record, layout, options, layout.close, `missing close value (${raw ? quote(raw) : 'empty'}); every row needs one`);
  }

  let name: string;
  if (layout.series >= 0) {
    name = fields[layout.series]!.trim();
    if (!name) failCell(record, layout, options, layout.series, 'the series name is empty');
  } else {
    name = options.seriesName?.trim() || seriesNameFromFile(file);
  }
  let builder = series.get(name);
  if (!builder) {
    builder = { rows: [], lines: new Map() };
    series.set(name, builder);
  }
  const iso = date.value;
  const earlier = builder.lines.get(iso);
  if (earlier !== undefined) {
    failCell(record, layout, options, layout.date, `duplicate date ${iso} in series "${name}" (lines ${earlier} and ${line})`);
  }
  builder.lines.set(iso, line);
  builder.rows.push({
    date: iso,
    open: readNumber(record, layout, options, layout.open),
    high: readNumber(record, layout, options, layout.high),
    low: readNumber(record, layout, options, layout.low),
    close,
    volume: readNumber(record, layout, options, layout.volume),
    marketCap: readNumber(record, layout, options, layout.marketCap),
  });
}

/** The number in field `index`, `null` when missing or when the file has no such column. */
function readNumber(record: CsvRecord, layout: Layout, options: ParsePriceCsvOptions, index: number): number | null {
  if (index < 0) return null;
  const parsed = parseNumberCell(record.fields[index]!.trim());
  if (parsed.problem !== undefined) failCell(record, layout, options, index, parsed.problem);
  return parsed.value;
}

function failCell(record: CsvRecord, layout: Layout, options: ParsePriceCsvOptions, index: number, problem: string): never {
  throw new DatasetParseError({ file: options.file, line: record.line, column: layout.header[index]!, problem });
}

function isBlank(record: CsvRecord): boolean {
  return record.fields.length === 1 && record.fields[0]!.trim() === '';
}

/** 1-based line of a character, counting line ends as the tokenizer does (CRLF, LF, lone CR). */
function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) line++;
  }
  return line;
}
