// A data-parallel replica: builds the parent's model from its topology, then for each request
// takes the parent's current weights and returns the loss and gradients of its shard.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, type BackendName } from '../backend.ts';
import { setRecurrentImplementation } from '../recurrent/fast-layers.ts'; // also registers FastLSTM for deserialisation
import { createShardLoss } from './objectives.ts';
import type { ReplicaMessage, ReplicaSetup, ShardRequest } from './protocol.ts';
import { assignFlat, flatten, shardGradients, trainableVariables } from './shard-gradients.ts';

const port = parentPort!;
const setup = workerData as ReplicaSetup;
const send = (message: ReplicaMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const fail = (error: unknown) => send({ type: 'error', message: (error as Error).message ?? String(error), stack: (error as Error).stack });
const describeShapes = (shapes: number[][]) => shapes.map((s) => s.join('×')).join(', ');

try {
  await initBackend(setup.backend as BackendName);
  setRecurrentImplementation(setup.fastRecurrent ? 'fast' : 'stock');
  const model = await tfl.models.modelFromJSON({ modelTopology: setup.topology as tf.io.ModelJSON['modelTopology'] });
  const variables = trainableVariables(model);
  if (describeShapes(variables.map((v) => v.shape)) !== describeShapes(setup.weightShapes)) {
    throw new Error(`replica's trainable weights (${describeShapes(variables.map((v) => v.shape))}) differ from the parent's (${describeShapes(setup.weightShapes)})`);
  }
  const loss = createShardLoss(setup.objective, model);
  port.on('message', (request: ShardRequest) => {
    try {
      const result = tf.tidy(() => {
        assignFlat(variables, request.weights);
        return shardGradients(loss, variables, request.shard, request.seed);
      });
      const grads = flatten(result.grads);
      const value = result.loss.dataSync()[0]!;
      tf.dispose([result.loss, ...result.grads]);
      send({ type: 'gradients', loss: value, grads }, [grads.buffer as ArrayBuffer]);
    } catch (error) {
      fail(error);
    }
  });
  send({ type: 'ready' });
} catch (error) {
  fail(error);
}
