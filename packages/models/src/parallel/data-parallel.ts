import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors.ts';
import { useFastRecurrent } from '../recurrent/fast-layers.ts';
import { createShardLoss, shardRows, type ObjectiveSpec, type ShardLoss, type TensorShard, type WindowShard } from './objectives.ts';
import type { ReplicaMessage, ReplicaSetup, ShardRequest } from './protocol.ts';
import { flatten, shardGradients, trainableVariables } from './shard-gradients.ts';

const here = (file: string) => new URL(file, import.meta.url);
// The replica's own module has the parent's extension: `.ts` from source, `.js` once compiled.
const replicaEntry = here(`./replica-thread${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`).href;

/** One replica thread with at most one request in flight. */
class ReplicaThread {
  private waiting: { resolve: (message: ReplicaMessage) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(private readonly worker: Worker) {
    worker.on('message', (message: ReplicaMessage) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (message.type === 'error') this.fail(new ModelError(`training replica failed: ${message.message}`), waiting);
      else waiting?.resolve(message);
    });
    worker.on('error', (error) => this.fail(new ModelError(`training replica crashed: ${error.message}`), this.waiting));
    worker.on('exit', (code) => this.fail(new ModelError(`training replica exited (code ${code})`), this.waiting));
  }

  private fail(error: Error, waiting: ReplicaThread['waiting']): void {
    this.failure ??= error;
    this.waiting = undefined;
    waiting?.reject(this.failure);
  }

  /** The next message from the thread (after sending `request`, when given). */
  next(request?: ShardRequest, transfer: ArrayBuffer[] = []): Promise<ReplicaMessage> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      if (request) this.worker.postMessage(request, transfer);
    });
  }

  async terminate(): Promise<void> {
    this.failure ??= new ModelError('training replica closed');
    await this.worker.terminate();
  }
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
 */
export class DataParallelGradients {
  private readonly loss: ShardLoss;

  private constructor(
    model: tfl.LayersModel,
    objective: ObjectiveSpec,
    private readonly variables: tf.Variable[],
    private readonly replicas: ReplicaThread[],
  ) {
    this.loss = createShardLoss(objective, model);
  }

  /** Starts `threads − 1` replica threads (none for 1) and waits until each has built its model. */
  static async start(model: tfl.LayersModel, threads: number, objective: ObjectiveSpec): Promise<DataParallelGradients> {
    if (!Number.isInteger(threads) || threads < 1) throw new ModelError(`threads must be a positive integer, got ${threads}`);
    const variables = trainableVariables(model);
    const setup: Omit<ReplicaSetup, 'entry'> = {
      backend: tf.getBackend(),
      fastRecurrent: useFastRecurrent(),
      topology: model.toJSON(undefined, false),
      weightShapes: variables.map((v) => v.shape),
      objective,
    };
    const replicas = Array.from({ length: threads - 1 }, () => new ReplicaThread(new Worker(here('./thread-entry.mjs'), { workerData: { ...setup, entry: replicaEntry } satisfies ReplicaSetup })));
    const pool = new DataParallelGradients(model, objective, variables, replicas);
    try {
      await Promise.all(replicas.map((replica) => replica.next()));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** This thread and the replica threads. */
  get threads(): number {
    return this.replicas.length + 1;
  }

  /**
   * Mean loss and gradients (keyed by variable name, as `optimizer.applyGradients` takes them)
   * of the batch made of `shards`, at most `threads` of them; the first runs here. Shard i > 0
   * draws its randomness from a seed mixed from `seed` and i, shard 0 from `seed` itself (so one
   * thread computes what a plain training step computes). The caller owns the gradients.
   */
  async compute(shards: readonly (TensorShard | WindowShard)[], seed = 0): Promise<{ loss: number; grads: tf.NamedTensorMap }> {
    if (shards.length < 1 || shards.length > this.threads) throw new ModelError(`a step takes 1 to ${this.threads} shards, got ${shards.length}`);
    const pending: Promise<ReplicaMessage>[] = [];
    if (shards.length > 1) {
      const weights = flatten(this.variables);
      shards.slice(1).forEach((shard, i) => {
        const request: ShardRequest = { weights: weights.slice(), shard, seed: mixSeed(seed, i + 1) };
        pending.push(this.replicas[i]!.next(request, [request.weights.buffer as ArrayBuffer]));
      });
    }
    const local = tf.tidy(() => shardGradients(this.loss, this.variables, shards[0]!, seed));
    let replies: ReplicaMessage[];
    try {
      replies = await Promise.all(pending);
    } catch (error) {
      tf.dispose([local.loss, ...local.grads]);
      throw error;
    }
    if (replies.length === 0) {
      const loss = local.loss.dataSync()[0]!;
      local.loss.dispose();
      return { loss, grads: Object.fromEntries(this.variables.map((variable, v) => [variable.name, local.grads[v]!])) };
    }
    const rows = shards.map(shardRows);
    const total = rows.reduce((a, b) => a + b, 0);
    let loss = (local.loss.dataSync()[0]! * rows[0]!) / total;
    const grads: tf.NamedTensorMap = {};
    tf.tidy(() => {
      let offset = 0;
      this.variables.forEach((variable, v) => {
        let sum = tf.mul(local.grads[v]!, rows[0]! / total);
        replies.forEach((reply, r) => {
          if (reply.type !== 'gradients') throw new ModelError(`training replica answered ${reply.type}`);
          sum = tf.add(sum, tf.mul(tf.tensor(reply.grads.subarray(offset, offset + variable.size), variable.shape), rows[r + 1]! / total));
        });
        grads[variable.name] = tf.keep(sum);
        offset += variable.size;
      });
    });
    for (const [r, reply] of replies.entries()) if (reply.type === 'gradients') loss += (reply.loss * rows[r + 1]!) / total;
    tf.dispose([local.loss, ...local.grads]);
    return { loss, grads };
  }

  /** Terminates the replica threads. */
  async close(): Promise<void> {
    await Promise.all(this.replicas.map((replica) => replica.terminate()));
  }
}

/** A 32-bit seed from `seed` and `part` (murmur3's finaliser). */
function mixSeed(seed: number, part: number): number {
  let hash = Math.imul((seed ^ 0x9e3779b9) ^ part, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}
