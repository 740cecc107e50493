import { beforeAll, describe, expect, it } from 'vitest';
import { runChaos, type ChaosRun } from '../scripts/chaos/run.ts';
import { formatTable, missedGoals, type Goals } from '../scripts/chaos/report.ts';

/**
 * `npm run chaos` at CI scale (scripts/chaos): the system as real processes (redis-server with an
 * append-only file, the API, two workers), faults injected, and every row of the findings
 * answered with 0 lost, 0 duplicated, 0 failed by crashes, 0 5xx, 0 auth bypasses.
 *
 * Stalls: the goal (no request stalls another for more than a second) is shown by the
 * figures `npm run chaos` prints. Here the bound is generous (CHAOS_TEST_STALL_MS, default 10 s)
 * because this file shares a small CI machine with the rest of the suite, where a healthy probe
 * can wait seconds for a CPU; the stalls of the findings are 18–45 s on an idle machine.
 */
const goals: Goals = { stallMs: Number(process.env.CHAOS_TEST_STALL_MS ?? 10_000) };

let run: ChaosRun;
beforeAll(async () => {
  run = await runChaos({ scale: 'ci', seed: 1 });
  console.log(formatTable(run.rows, goals));
}, 1_200_000);

/** One test per row of the findings (a scenario's row names contain these). */
const findings = [
  'kill -9 workers during',
  'kill -9 the holder of one batch child',
  'Redis kill -9 mid-batch',
  'SIGTERM during price',
  'SIGTERM during textgen',
  'SIGTERM during seq2seq',
  'concurrent POST /v1/predict?wait=30',
  'SSE streams',
  'malformed requests from the OpenAPI document',
  'auth probes, API_KEYS',
  'auth probes, no API_KEYS',
  'CSV header of',
  'oversized training: price',
  'oversized training: text generator',
  'oversized training: chatbot',
  'non-finite numbers',
  'validationSplit 1e-8',
  'GET /v1/jobs?offset=100000',
  'zip inflating',
  'batch child with window 365',
  'logs are JSON lines',
];

describe('chaos at CI scale', () => {
  it.each(findings)('%s', (name) => {
    const rows = run.rows.filter((row) => row.scenario.includes(name));
    expect(rows, `no row for "${name}"; rows: ${run.rows.map((r) => r.scenario).join(' / ')}`).toHaveLength(1);
    const row = rows[0]!;
    expect(missedGoals(row, goals), `${row.outcome}\n${(row.details ?? []).join('\n')}`).toEqual([]);
  });
});
