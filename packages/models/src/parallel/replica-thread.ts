// A data-parallel replica thread: boots a tfjs backend once, then serves trainings one after
// another. For each it builds the parent's model from its topology; for each step it takes the
// parent's current weights and returns the loss and gradients of its shard. The loss comes from the
// module the training's objective spec names (see `ObjectiveSpec`): this thread imports no family.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, type BackendName } from '../backend.ts';
import { setRecurrentImplementation } from '../recurrent/fast-layers.ts'; // also registers FastLSTM for deserialisation
import { createShardLoss } from './load-objective.ts';
import type { ShardLoss } from './objective.ts';
import type { LoadRequest, ReplicaBoot, ReplicaMessage, ReplicaRequest, ShardRequest } from './protocol.ts';
import { assignFlat, flatten, shardGradients, trainableVariables } from './shard-gradients.ts';

const port = parentPort!;
const send = (message: ReplicaMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const fail = (error: unknown) => send({ type: 'error', message: (error as Error).message ?? String(error), stack: (error as Error).stack });
const describeShapes = (shapes: number[][]) => shapes.map((s) => s.join('×')).join(', ');

let replica: { model: tfl.LayersModel; variables: tf.Variable[]; loss: ShardLoss<unknown> } | undefined;

function unload(): void {
  // The weights, not `model.dispose()`: a shared layer (seq2seq's embedding) counts one use per
  // call, which container disposal never undoes (see seq2seq's disposeNetwork).
  for (const weight of replica?.model.weights ?? []) weight.dispose();
  replica = undefined;
}

async function load(request: LoadRequest): Promise<void> {
  unload();
  setRecurrentImplementation(request.fastRecurrent ? 'fast' : 'stock');
  const model = await tfl.models.modelFromJSON({ modelTopology: request.topology as tf.io.ModelJSON['modelTopology'] });
  try {
    const variables = trainableVariables(model);
    if (describeShapes(variables.map((v) => v.shape)) !== describeShapes(request.weightShapes)) {
      throw new Error(`replica's trainable weights (${describeShapes(variables.map((v) => v.shape))}) differ from the parent's (${describeShapes(request.weightShapes)})`);
    }
    replica = { model, variables, loss: await createShardLoss(request.objective, model) };
  } catch (error) {
    for (const weight of model.weights) weight.dispose();
    throw error;
  }
}

function gradients(request: ShardRequest): void {
  if (!replica) throw new Error('no model loaded');
  const { variables, loss } = replica;
  assignFlat(variables, request.weights);
  const result = shardGradients(loss, variables, request.shard, request.seed);
  const grads = flatten(result.grads);
  const value = result.loss.dataSync()[0]!;
  tf.dispose([result.loss, ...result.grads]);
  send({ type: 'gradients', loss: value, grads, figures: result.figures, tensors: tf.memory().numTensors }, [grads.buffer as ArrayBuffer]);
}

try {
  await initBackend((workerData as ReplicaBoot).backend as BackendName);
  port.on('message', (request: ReplicaRequest) => {
    if (request.type === 'unload') return unload();
    if (request.type === 'load') return void load(request).then(() => send({ type: 'ready' }), fail);
    try {
      gradients(request);
    } catch (error) {
      fail(error);
    }
  });
  send({ type: 'booted' });
} catch (error) {
  fail(error);
}
