import type { JobAccount } from './jobs.ts';
import type { RequestStats } from './http.ts';

/** One line of the chaos table: a scenario, or one case of a scenario. */
export interface ChaosRow {
  scenario: string;
  /** The row of the findings table this answers. */
  finding: string;
  /** Faults injected: kills, restarts, signals, malformed or hostile requests. */
  faults: number;
  jobs: number;
  lost: number;
  duplicated: number;
  /** Jobs failed by crashes alone (in a crash scenario every failure of a valid job). */
  failed: number;
  serverErrors: number;
  /** 2xx/3xx answers to a request without a valid key (or from a client that must be refused). */
  bypasses: number;
  /** Slowest /healthz answer (API or worker) while the scenario ran, in ms. */
  worstProbeMs: number | null;
  worstProbeWhere?: string;
  /** Slowest request that should answer at once (not `wait=`, not streams), in ms. */
  worstRequestMs: number | null;
  worstRequestWhat?: string;
  /** SIGTERM rows: the step or epoch the job continued from on the next worker. */
  resumedFrom?: string;
  outcome: string;
  /** Goals this row missed beyond the common ones (e.g. "accepted a training the issue found to crash workers"). */
  missed: string[];
  details?: string[];
}

export interface Goals {
  /** The most one request or probe may stall another, in ms (the issue: one second). */
  stallMs: number;
}

export const defaultGoals: Goals = { stallMs: 1_000 };

/** Every goal the row misses, empty when it passes. */
export function missedGoals(row: ChaosRow, goals: Goals = defaultGoals): string[] {
  const missed = [...row.missed];
  if (row.lost > 0) missed.push(`${row.lost} lost`);
  if (row.duplicated > 0) missed.push(`${row.duplicated} duplicated`);
  if (row.failed > 0) missed.push(`${row.failed} failed by crashes`);
  if (row.serverErrors > 0) missed.push(`${row.serverErrors} 5xx`);
  if (row.bypasses > 0) missed.push(`${row.bypasses} auth bypasses`);
  if (row.worstProbeMs !== null && row.worstProbeMs > goals.stallMs) missed.push(`/healthz stalled ${row.worstProbeMs} ms (${row.worstProbeWhere})`);
  if (row.worstRequestMs !== null && row.worstRequestMs > goals.stallMs) missed.push(`a request took ${row.worstRequestMs} ms (${row.worstRequestWhat})`);
  return missed;
}

/** A row's job and request columns filled from what the scenario counted. */
export function rowFrom(
  base: Pick<ChaosRow, 'scenario' | 'finding' | 'faults' | 'outcome'> & Partial<ChaosRow>,
  account: JobAccount | undefined,
  stats: RequestStats,
  probe: { worstMs: number; where: string },
): ChaosRow {
  return {
    jobs: account?.submitted ?? 0,
    lost: account?.lost.length ?? 0,
    duplicated: account?.duplicated.length ?? 0,
    failed: account?.failed.length ?? 0,
    serverErrors: stats.serverErrors.length,
    bypasses: 0,
    worstProbeMs: probe.worstMs,
    worstProbeWhere: probe.where,
    worstRequestMs: stats.requests > 0 ? Math.round(stats.worstMs) : null,
    worstRequestWhat: stats.worstWhat,
    missed: [],
    ...base,
    details: [
      ...(base.details ?? []),
      ...(account ? [...account.lost.map((l) => `lost ${l}`), ...account.duplicated.map((d) => `duplicated ${d}`), ...account.failed.map((f) => `failed ${f}`)] : []),
      ...stats.serverErrors.slice(0, 5).map((e) => `5xx ${e}`),
      ...stats.transportErrors.slice(0, 3).map((e) => `no answer: ${e}`),
    ],
  };
}

const cell = (value: string | number | null | undefined) => (value === null || value === undefined ? '-' : String(value));

/** The table printed at the end of a run (Markdown, so it pastes into an issue). */
export function formatTable(rows: readonly ChaosRow[], goals: Goals = defaultGoals): string {
  const header = ['scenario', 'faults', 'jobs', 'lost', 'dup', 'failed', '5xx', 'bypass', 'worst healthz ms', 'worst request ms', 'resumed from', 'outcome', 'ok'];
  const lines = rows.map((row) => {
    const missed = missedGoals(row, goals);
    return [
      row.scenario,
      row.faults,
      row.jobs,
      row.lost,
      row.duplicated,
      row.failed,
      row.serverErrors,
      row.bypasses,
      row.worstProbeMs,
      row.worstRequestMs,
      row.resumedFrom,
      row.outcome.replaceAll('|', '/'),
      missed.length === 0 ? 'yes' : `NO: ${missed.join('; ').replaceAll('|', '/')}`,
    ].map(cell);
  });
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`)].join('\n');
}
