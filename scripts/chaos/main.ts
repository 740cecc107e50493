/**
 * `npm run chaos`: starts Redis (with an append-only file), the API and workers as real processes
 * on temp dirs and free ports, injects the faults of issue 10, and prints one table.
 *
 *   CHAOS_SCALE=ci|full   (default ci)     CHAOS_ONLY=kills,redis,sigterm,load,fuzz,auth,hostile
 *   CHAOS_SEED=<n>        repeat a run      CHAOS_STALL_MS=<ms> the stall goal (default 1000)
 *   --json <path>         also write the rows as JSON (default: a file under a temp dir)
 *
 * Exits 1 when a row misses a goal.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runChaos } from './run.ts';
import { formatTable, missedGoals } from './report.ts';
import type { ChaosScale } from './scale.ts';

async function main(): Promise<void> {
  const scale = (process.env.CHAOS_SCALE ?? 'ci') as ChaosScale;
  if (scale !== 'ci' && scale !== 'full') throw new Error(`CHAOS_SCALE must be ci or full, not ${scale}`);
  const only = (process.env.CHAOS_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : undefined;
  const goals = { stallMs: Number(process.env.CHAOS_STALL_MS ?? 1000) };
  const jsonFlag = process.argv.indexOf('--json');
  const jsonPath = jsonFlag >= 0 ? process.argv[jsonFlag + 1]! : path.join(await mkdtemp(path.join(tmpdir(), 'mlq-chaos-report-')), 'chaos.json');

  const t0 = Date.now();
  const run = await runChaos({ scale, only, seed, log: (line) => console.error(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`) });
  const rows = run.rows.map((row) => ({ ...row, missedGoals: missedGoals(row, goals) }));
  await writeFile(jsonPath, JSON.stringify({ ...run, goals, rows }, null, 2));
  console.log(`\nchaos (${scale}, seed ${run.seed}, ${(run.durationMs / 1000).toFixed(0)} s)\n`);
  console.log(formatTable(run.rows, goals));
  const failing = rows.filter((r) => r.missedGoals.length > 0);
  for (const row of rows) {
    if (!row.details?.length) continue;
    console.log(`\n${row.scenario}:`);
    for (const line of row.details.slice(0, 8)) console.log(`  ${line}`);
  }
  console.log(`\n${rows.length - failing.length}/${rows.length} rows meet their goals; JSON: ${jsonPath}`);
  // Exits rather than waits for every handle: a stream a killed process left half-open must not keep the run alive.
  process.exit(failing.length > 0 ? 1 : 0);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(2);
});
