import { Fixtures, seededRandom, type ChaosContext, type Scenario } from './context.ts';
import type { ChaosRow } from './report.ts';
import { scales, type ChaosScale } from './scale.ts';
import { ChaosSystem } from './system.ts';
import { workerKills } from './scenarios/worker-kills.ts';
import { redisRestart } from './scenarios/redis-restart.ts';
import { sigterm } from './scenarios/sigterm.ts';
import { fuzz } from './scenarios/fuzz.ts';
import { auth } from './scenarios/auth.ts';
import { load } from './scenarios/load.ts';
import { hostile } from './scenarios/hostile.ts';

/** In the order they run: crashes first (the system is fresh), hostile inputs last. */
export const scenarios: readonly Scenario[] = [workerKills, redisRestart, sigterm, load, fuzz, auth, hostile];

export interface ChaosOptions {
  scale: ChaosScale;
  /** Scenario names to run (all when empty). */
  only?: readonly string[];
  seed?: number;
  log?: (line: string) => void;
}

export interface ChaosRun {
  scale: ChaosScale;
  seed: number;
  startedAt: string;
  durationMs: number;
  rows: ChaosRow[];
}

/** Starts the system, runs each scenario (a scenario that throws still gives its row), stops everything. */
export async function runChaos(options: ChaosOptions): Promise<ChaosRun> {
  const log = options.log ?? (() => {});
  const scale = scales[options.scale];
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const started = Date.now();
  const chosen = scenarios.filter((s) => !options.only?.length || options.only.includes(s.name));
  const unknown = options.only?.filter((name) => !scenarios.some((s) => s.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`);
  log(`starting redis, 2 APIs and ${scale.workers} workers (scale ${scale.scale}, seed ${seed})`);
  const system = await ChaosSystem.start({ workers: scale.workers });
  const context: ChaosContext = { system, scale, fixtures: new Fixtures(system), random: seededRandom(seed), log };
  const rows: ChaosRow[] = [];
  try {
    for (const scenario of chosen) {
      const scenarioStart = Date.now();
      await system.probe.quiet();
      log(`scenario ${scenario.name}…`);
      try {
        rows.push(...(await scenario.run(context)));
      } catch (error) {
        rows.push({
          ...countlessRow(scenario.name, ''),
          outcome: 'scenario error',
          missed: [`scenario error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500)],
        });
      }
      log(`scenario ${scenario.name} done in ${((Date.now() - scenarioStart) / 1000).toFixed(1)} s`);
      // Keep the pool at its size whatever a scenario did to it.
      while (system.workers().length < scale.workers) await system.startWorker();
    }
    const hygiene = system.logHygiene();
    rows.push({
      ...countlessRow('logs are JSON lines (every process, whole run)', 'non-JSON ioredis stack lines per outage'),
      outcome: `${hygiene.nonJson} non-JSON stdout lines, ${hygiene.stderrLines} stderr lines`,
      missed: hygiene.nonJson + hygiene.stderrLines > 0 ? [`${hygiene.nonJson + hygiene.stderrLines} lines not JSON`] : [],
      details: hygiene.samples.map((s) => s.slice(0, 200)),
    });
  } finally {
    await system.close();
  }
  return { scale: options.scale, seed, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, rows };
}

/** A row that counts nothing (a scenario that could not run, the log check): zeros and no latencies. */
function countlessRow(scenario: string, finding: string) {
  return { scenario, finding, faults: 0, jobs: 0, lost: 0, duplicated: 0, failed: 0, serverErrors: 0, bypasses: 0, worstProbeMs: null, worstRequestMs: null };
}
