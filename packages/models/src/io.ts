import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Named files under one location (a directory, a store prefix); what save/load write and read. */
export interface ArtifactIO {
  write(name: string, data: Uint8Array): Promise<void>;
  read(name: string): Promise<Uint8Array>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const writeJson = (io: ArtifactIO, name: string, value: unknown) => io.write(name, encoder.encode(JSON.stringify(value)));
export const readJson = async <T>(io: ArtifactIO, name: string): Promise<T> => JSON.parse(decoder.decode(await io.read(name))) as T;

/**
 * Saves a layers model as tfjs' standard `model.json` + `weights.bin` pair, so it also loads with
 * `tf.loadLayersModel('file://…/model.json')` where tfjs-node is installed.
 */
export async function saveLayersModel(model: tfl.LayersModel, io: ArtifactIO): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)));
      await io.write('weights.bin', weights);
      await writeJson(io, 'model.json', {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

/** Loads what `saveLayersModel` wrote. */
export async function loadLayersModel(io: ArtifactIO): Promise<tfl.LayersModel> {
  const json = await readJson<{ modelTopology: object; weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> }>(io, 'model.json');
  const weights = await io.read('weights.bin');
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
      weightData,
    }),
  );
}

/** An ArtifactIO over a Map, for tests and notebooks. */
export function memoryArtifacts(files = new Map<string, Uint8Array>()): ArtifactIO & { files: Map<string, Uint8Array> } {
  return {
    files,
    async write(name, data) {
      files.set(name, data.slice());
    },
    async read(name) {
      const data = files.get(name);
      if (!data) throw new Error(`no artifact ${name}`);
      return data;
    },
  };
}
