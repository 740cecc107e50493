// Runs a bench child script once per backend (wasm, cpu) in its own process, so each gets a fresh
// tfjs, and collects the JSON lines it prints; a child that fails is reported and skipped.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../test/harness/processes.ts';

/** The JSON lines `script` (relative to the repository root) printed, for every backend whose child ran. */
export function runBackendChildren(script: string, quick: boolean, maxBuffer: number): unknown[] {
  const lines: unknown[] = [];
  for (const backend of ['wasm', 'cpu']) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, script), backend, quick ? 'quick' : 'full'], { cwd: repoRoot, encoding: 'utf8', maxBuffer });
    if (child.status !== 0) {
      const reason = child.stderr
        .split('\n')
        .filter((line) => !line.includes('already registered'))
        .slice(-3)
        .join(' ');
      console.log(`  ${backend}: failed (${reason})`);
      continue;
    }
    for (const line of child.stdout.split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line));
  }
  return lines;
}
