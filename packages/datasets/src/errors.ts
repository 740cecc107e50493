import { MlqError } from '@mlq/specs';

/** Where and what: the parts of a {@link DatasetParseError}. */
export interface DatasetProblem {
  /** File name as given by the caller (not necessarily a path). */
  file: string;
  /** 1-based line in the file; the header is line 1. */
  line?: number;
  /** Column name as written in the file's header. */
  column?: string;
  /** What is wrong, without the location. */
  problem: string;
}

/**
 * A dataset that cannot be used as given: a client error (HTTP 400, non-retryable job).
 * The message reads like `stocks.csv line 14, column "price": "abc" is not a number`.
 */
export class DatasetParseError extends MlqError {
  readonly file: string;
  readonly line?: number;
  readonly column?: string;
  readonly problem: string;

  constructor(where: DatasetProblem) {
    super('invalid', formatProblem(where), { details: { file: where.file, line: where.line ?? null, column: where.column ?? null, problem: where.problem } });
    this.name = 'DatasetParseError';
    this.file = where.file;
    if (where.line !== undefined) this.line = where.line;
    if (where.column !== undefined) this.column = where.column;
    this.problem = where.problem;
  }
}

function formatProblem({ file, line, column, problem }: DatasetProblem): string {
  let where = file;
  if (line !== undefined) where += `${where ? ' ' : ''}line ${line}`;
  if (column !== undefined) where += `${where ? ', ' : ''}column "${column}"`;
  return where ? `${where}: ${problem}` : problem;
}

/** A series too short for what a caller wants to do with it (e.g. window + holdout). */
export class DatasetTooShortError extends DatasetParseError {
  /** The series' name. */
  readonly series: string;
  /** Points the series has. */
  readonly points: number;
  /** Points needed. */
  readonly needed: number;

  constructor(series: string, points: number, needed: number, what: string, file = '') {
    super({ file, problem: `series "${series}" has ${points} points; ${what} needs at least ${needed}` });
    this.name = 'DatasetTooShortError';
    this.series = series;
    this.points = points;
    this.needed = needed;
  }
}

/** A series name that the collection does not hold (HTTP 404). */
export class UnknownSeriesError extends MlqError {
  /** The name asked for. */
  readonly series: string;

  constructor(series: string, known: readonly string[] = []) {
    const shown = known
      .slice(0, 10)
      .map((name) => `"${name}"`)
      .join(', ');
    const more = known.length > 10 ? `, … (${known.length} in all)` : '';
    super('not-found', `unknown series "${series}"${known.length ? `; known: ${shown}${more}` : ''}`);
    this.name = 'UnknownSeriesError';
    this.series = series;
  }
}

/** Two collections merged by {@link PriceCollection.merge} hold a series of the same name. */
export class DuplicateSeriesError extends Error {
  readonly series: string;

  constructor(series: string) {
    super(`series "${series}" appears in more than one collection`);
    this.name = 'DuplicateSeriesError';
    this.series = series;
  }
}

/** Anything with a series name and a length: a {@link SeriesSummary}, or a name with its closes. */
export type SeriesLength = { name: string; rows: number } | { name: string; values: readonly unknown[] };

/**
 * Throws {@link DatasetTooShortError} unless the series has at least `needed` points.
 * `what` says why, e.g. `window 50 + holdout 10` gives
 * `series "Neblio" has 11 points; window 50 + holdout 10 needs at least 61`.
 * @param file name to prefix the message with; none by default
 */
export function assertMinimumLength(series: SeriesLength, needed: number, what: string, file?: string): void {
  const points = 'rows' in series ? series.rows : series.values.length;
  if (points < needed) throw new DatasetTooShortError(series.name, points, needed, what, file);
}

/** The conversation owner named by a caller takes part in none of the threads (HTTP 400). */
export class UnknownOwnerError extends MlqError {
  /** The name asked for. */
  readonly owner: string;
  /** Names that appear in the most threads (the export's owner is in all of them), most first. */
  readonly candidates: readonly string[];

  constructor(owner: string, candidates: readonly string[]) {
    const shown = candidates.map((name) => `"${name}"`).join(', ');
    super('invalid', `"${owner}" takes part in none of the conversations${candidates.length ? `; names seen in the most threads: ${shown}` : ''}`, {
      field: 'querystring/owner',
      details: { candidates },
    });
    this.name = 'UnknownOwnerError';
    this.owner = owner;
    this.candidates = candidates;
  }
}
