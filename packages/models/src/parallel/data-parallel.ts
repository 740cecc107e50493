import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors.ts';
import { useFastRecurrent } from '../recurrent/fast-layers.ts';
import { createShardLoss } from './load-objective.ts';
import type { ObjectiveSpec, ShardLoss } from './objective.ts';
import type { LoadRequest, ReplicaBoot, ReplicaMessage, ReplicaRequest, ShardRequest } from './protocol.ts';
import { flatten, shardGradients, trainableVariables } from './shard-gradients.ts';

const here = (file: string) => new URL(file, import.meta.url);
// The replica's own module has the parent's extension: `.ts` from source, `.js` once compiled.
const replicaEntry = here(`./replica-thread${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`).href;

/** An idle replica thread is ended after this long: its wasm heap, grown by the last training, is never returned otherwise. */
const IDLE_THREAD_MS = 60_000;

/** One replica thread with at most one request in flight. */
class ReplicaThread {
  private waiting: { resolve: (message: ReplicaMessage) => void; reject: (error: Error) => void } | undefined;
  /** Set once the thread is gone (crashed, exited, terminated): it takes no more requests. */
  private death: Error | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly worker: Worker,
    readonly backend: string,
  ) {
    worker.on('message', (message: ReplicaMessage) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (message.type === 'error') waiting?.reject(new ModelError(`training replica failed: ${message.message}`));
      else waiting?.resolve(message);
    });
    worker.on('error', (error) => this.die(new ModelError(`training replica crashed: ${error.message}`)));
    worker.on('exit', (code) => this.die(new ModelError(`training replica exited (code ${code})`)));
  }

  get alive(): boolean {
    return this.death === undefined;
  }

  private die(error: Error): void {
    this.death ??= error;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(this.death);
  }

  /** Sends `request` (when given) and resolves with the thread's next message. */
  next(request?: LoadRequest | ShardRequest, transfer: ArrayBuffer[] = []): Promise<ReplicaMessage> {
    if (this.death) return Promise.reject(this.death);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      if (request) this.worker.postMessage(request, transfer);
    });
  }

  /** Taken for a training: the thread keeps the process alive while it works. */
  acquire(): void {
    clearTimeout(this.idleTimer);
    this.worker.ref();
  }

  /** Back to idle: the model dropped, the process free to exit, the thread ended after `IDLE_THREAD_MS`. */
  release(): void {
    this.worker.postMessage({ type: 'unload' } satisfies ReplicaRequest);
    this.worker.unref();
    this.idleTimer = setTimeout(() => void this.terminate(), IDLE_THREAD_MS).unref();
  }

  async terminate(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.die(new ModelError('training replica closed'));
    await this.worker.terminate();
  }
}

/**
 * Replica threads kept between trainings of this process: booting one (a tfjs backend, the model
 * code) takes about a second, which a queue worker running many small trainings would pay for
 * each of them.
 */
const idleThreads: ReplicaThread[] = [];
let threadsBooted = 0;

async function acquireThreads(count: number): Promise<ReplicaThread[]> {
  const backend = tf.getBackend();
  const taken: ReplicaThread[] = [];
  while (taken.length < count && idleThreads.length > 0) {
    const thread = idleThreads.pop()!;
    if (thread.alive && thread.backend === backend) taken.push(thread);
    else void thread.terminate();
  }
  const booting = Array.from({ length: count - taken.length }, () => {
    const thread = new ReplicaThread(new Worker(here('./thread-entry.mjs'), { workerData: { entry: replicaEntry, backend } satisfies ReplicaBoot }), backend);
    threadsBooted++;
    return thread;
  });
  const boots = await Promise.allSettled(booting.map((thread) => thread.next()));
  const failed = boots.find((boot): boot is PromiseRejectedResult => boot.status === 'rejected');
  if (failed) {
    await Promise.all(booting.map((thread) => thread.terminate()));
    releaseThreads(taken);
    throw failed.reason;
  }
  const threads = [...taken, ...booting];
  for (const thread of threads) thread.acquire();
  return threads;
}

function releaseThreads(threads: ReplicaThread[]): void {
  for (const thread of threads) {
    if (!thread.alive) continue;
    thread.release();
    idleThreads.push(thread);
  }
}

/** Replica threads booted so far in this process, and those idle now (kept for the next training). */
export function replicaThreadStats(): { booted: number; idle: number } {
  return { booted: threadsBooted, idle: idleThreads.filter((thread) => thread.alive).length };
}

/**
 * Data-parallel gradients for a tfjs-layers model: a batch comes split into shards, the first
 * computed on this thread and each other on a replica thread (a `worker_threads` Worker with its
 * own tfjs backend and a copy of the model built from `model.toJSON()`). Every step sends the
 * replicas the current weights, so they never drift; the shards' gradients are averaged,
 * weighted by shard rows, which gives the gradient of the whole batch's mean loss.
 *
 * This is how training uses more than one core where the backend has one thread per process:
 * wasm in Node (whose own threaded build cannot start there) and cpu.
 *
 * What each shard's loss is comes from the objective spec, loaded by module on every thread (see
 * `ObjectiveSpec`); `Shard` is the kind of shard that objective takes.
 */
export class DataParallelGradients<Shard = unknown> {
  private readonly lastTensorCounts: number[] = [];

  private constructor(
    private readonly loss: ShardLoss<Shard>,
    private readonly variables: tf.Variable[],
    private readonly replicas: ReplicaThread[],
  ) {}

  /**
   * Takes `threads − 1` replica threads (idle ones of earlier trainings first, new ones booted for
   * the rest) and waits until each has built its copy of `model`. The objective is built here
   * first, so a spec that names no objective of this package fails before any thread is taken.
   */
  static async start<Shard>(model: tfl.LayersModel, threads: number, objective: ObjectiveSpec<Shard>): Promise<DataParallelGradients<Shard>> {
    if (!Number.isInteger(threads) || threads < 1) throw new ModelError(`threads must be a positive integer, got ${threads}`);
    const variables = trainableVariables(model);
    const loss = await createShardLoss(objective, model);
    const replicas = await acquireThreads(threads - 1);
    const pool = new DataParallelGradients(loss, variables, replicas);
    const load: LoadRequest = {
      type: 'load',
      fastRecurrent: useFastRecurrent(),
      topology: model.toJSON(undefined, false),
      weightShapes: variables.map((v) => v.shape),
      objective,
    };
    const loads = await Promise.allSettled(replicas.map((replica) => replica.next(load)));
    const failed = loads.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) {
      await pool.close();
      throw failed.reason;
    }
    return pool;
  }

  /** Tensors alive on each replica thread after its last step (`tf.memory().numTensors` there). */
  get replicaTensors(): number[] {
    return [...this.lastTensorCounts];
  }

  /** This thread and the replica threads. */
  get threads(): number {
    return this.replicas.length + 1;
  }

  /**
   * Mean loss and gradients (keyed by variable name, as `optimizer.applyGradients` takes them)
   * of the batch made of `shards`, at most `threads` of them; the first runs here. Each shard
   * weighs as its figures say (its rows, or trained tokens), so the result is the whole batch's;
   * `weight` is their weights' sum and `extras` their extra figures summed. Shard i > 0 draws its randomness from a seed
   * mixed from `seed` and i, shard 0 from `seed` itself (so one thread computes what a plain
   * training step computes). The caller owns the gradients.
   */
  async compute(shards: readonly Shard[], seed = 0): Promise<{ loss: number; grads: tf.NamedTensorMap; weight: number; extras: number[] }> {
    if (shards.length < 1 || shards.length > this.threads) throw new ModelError(`a step takes 1 to ${this.threads} shards, got ${shards.length}`);
    const pending: Promise<ReplicaMessage>[] = [];
    if (shards.length > 1) {
      const weights = flatten(this.variables);
      shards.slice(1).forEach((shard, i) => {
        const request: ShardRequest = { type: 'shard', weights: weights.slice(), shard, seed: mixSeed(seed, i + 1) };
        pending.push(this.replicas[i]!.next(request, [request.weights.buffer as ArrayBuffer]));
      });
    }
    // Every reply is awaited, whatever fails, so no thread goes back to idle with a step in flight.
    let local: ReturnType<typeof shardGradients>;
    try {
      local = shardGradients(this.loss, this.variables, shards[0]!, seed);
    } catch (error) {
      await Promise.allSettled(pending);
      throw error;
    }
    const settled = await Promise.allSettled(pending);
    const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) {
      tf.dispose([local.loss, ...local.grads]);
      throw failed.reason;
    }
    const replies = settled.map((result) => {
      const reply = (result as PromiseFulfilledResult<ReplicaMessage>).value;
      if (reply.type !== 'gradients') throw new ModelError(`training replica answered ${reply.type}`);
      return reply;
    });
    const localLoss = local.loss.dataSync()[0]!;
    local.loss.dispose();
    if (replies.length === 0) {
      const grads = Object.fromEntries(this.variables.map((variable, v) => [variable.name, local.grads[v]!]));
      return { loss: localLoss, grads, weight: local.figures.weight, extras: local.figures.extras };
    }
    const figures = [local.figures, ...replies.map((reply) => reply.figures)];
    const total = figures.reduce((sum, f) => sum + f.weight, 0);
    // A batch without weight (no trained token anywhere) has a zero loss and gradient.
    const share = figures.map((f) => (total > 0 ? f.weight / total : 0));
    const grads: tf.NamedTensorMap = {};
    tf.tidy(() => {
      let offset = 0;
      this.variables.forEach((variable, v) => {
        let sum = tf.mul(local.grads[v]!, share[0]!);
        replies.forEach((reply, r) => {
          sum = tf.add(sum, tf.mul(tf.tensor(reply.grads.subarray(offset, offset + variable.size), variable.shape), share[r + 1]!));
        });
        grads[variable.name] = tf.keep(sum);
        offset += variable.size;
      });
    });
    tf.dispose(local.grads);
    replies.forEach((reply, r) => (this.lastTensorCounts[r] = reply.tensors));
    const loss = [localLoss, ...replies.map((reply) => reply.loss)].reduce((sum, value, i) => sum + value * share[i]!, 0);
    const extras = figures.reduce<number[]>((sum, f) => f.extras.map((value, i) => value + (sum[i] ?? 0)), []);
    return { loss, grads, weight: total, extras };
  }

  /** Hands the replica threads back for the next training (idle ones end after a minute). */
  async close(): Promise<void> {
    releaseThreads(this.replicas.splice(0));
  }
}

/** A 32-bit seed from `seed` and `part` (murmur3's finaliser). */
function mixSeed(seed: number, part: number): number {
  let hash = Math.imul(seed ^ 0x9e3779b9 ^ part, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}
