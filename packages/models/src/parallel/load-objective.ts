import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors.ts';
import type { ObjectiveSpec, ShardLoss, ShardObjective } from './objective.ts';

/**
 * The one folder objective modules load from: this package's `src/`. A spec is data that crosses
 * threads (and could come from anywhere that builds one), so it may name the package's own
 * objectives and no other code.
 */
const sourceRoot = fileURLToPath(new URL('../', import.meta.url));
let realSourceRoot: Promise<string> | undefined;

/** The `file:` URL to import for `module`, once it is known to be a TypeScript or JavaScript file under `sourceRoot` (links followed). */
async function resolveObjectiveModule(module: unknown): Promise<string> {
  if (typeof module !== 'string') throw new ModelError('a training objective must name its module (a file: URL)');
  let path: string;
  try {
    path = fileURLToPath(module);
  } catch {
    throw new ModelError(`training objective module ${module} is not a file: URL of @mlq/models' src/`);
  }
  const root = await (realSourceRoot ??= realpath(sourceRoot));
  const real = await realpath(path).catch(() => {
    throw new ModelError(`training objective module ${module} does not exist`);
  });
  const inside = relative(root, real);
  if (inside === '' || isAbsolute(inside) || inside.split(sep)[0] === '..' || !/\.(?:ts|js|mjs)$/.test(real)) {
    throw new ModelError(`training objective module ${module} is outside @mlq/models' src/: objectives load only from there`);
  }
  return pathToFileURL(real).href;
}

/** The objective `spec` names, imported from its module (see `ObjectiveSpec`); rejects a module outside this package's `src/` before importing it. */
export async function loadObjective(spec: ObjectiveSpec): Promise<ShardObjective<unknown, unknown>> {
  if (typeof spec !== 'object' || spec === null) throw new ModelError('a training objective must be an object naming its module and export');
  const exports = (await import(await resolveObjectiveModule(spec.module))) as Record<string, unknown>;
  const objective = typeof spec.export === 'string' && Object.hasOwn(exports, spec.export) ? exports[spec.export] : undefined;
  if (typeof objective !== 'function') throw new ModelError(`training objective module ${spec.module} has no function export ${String(spec.export)}`);
  return objective as ShardObjective<unknown, unknown>;
}

/** Builds the objective `spec` describes over `model`'s weights. */
export async function createShardLoss<Shard>(spec: ObjectiveSpec<Shard>, model: tfl.LayersModel): Promise<ShardLoss<Shard>> {
  const loss = (await loadObjective(spec))(model, spec.options);
  if (typeof loss !== 'function') throw new ModelError(`training objective ${spec.export} of ${spec.module} built no shard loss`);
  return loss as ShardLoss<Shard>;
}
