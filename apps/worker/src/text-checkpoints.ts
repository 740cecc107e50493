import { readTextCheckpointState, type ArtifactIO } from '@mlq/models';
import { scopedArtifacts, type ArtifactStore } from '@mlq/jobs';

interface LatestPointer {
  step: number;
  prefix: string;
}

/**
 * Checkpoints of one textgen training job in the artifact store, under `checkpoints/<jobId>/`.
 * Each checkpoint is written whole into its own folder, then `latest.json` (an atomic put) is
 * pointed at it and the previous one removed: a worker killed mid-write leaves the last complete
 * checkpoint in place. A retried or released job finds it under the same job id.
 */
export class TextCheckpointStore {
  private readonly root: string;

  constructor(
    private readonly store: ArtifactStore,
    jobId: string,
  ) {
    this.root = `checkpoints/${jobId}`;
  }

  /** The newest complete checkpoint, or undefined when there is none (or it cannot be read, see `problem`). */
  async latest(): Promise<{ step: number; io: ArtifactIO } | { problem: string } | undefined> {
    const pointer = await this.pointer();
    if (!pointer) return undefined;
    const io = scopedArtifacts(this.store, pointer.prefix);
    try {
      const state = await readTextCheckpointState(io);
      return { step: state.position.step, io };
    } catch (error) {
      return { problem: `checkpoint at step ${pointer.step} is unreadable: ${(error as Error).message}` };
    }
  }

  /** Writes a checkpoint through `write` and makes it the latest. */
  async save(step: number, write: (io: ArtifactIO) => Promise<void>): Promise<void> {
    const previous = await this.pointer();
    const prefix = `${this.root}/step-${step}`;
    await write(scopedArtifacts(this.store, prefix));
    const pointer: LatestPointer = { step, prefix };
    await this.store.put(`${this.root}/latest.json`, new TextEncoder().encode(JSON.stringify(pointer)));
    if (previous && previous.prefix !== prefix) await this.store.remove(previous.prefix);
  }

  /** Removes every checkpoint of the job (once its model is saved). */
  async remove(): Promise<void> {
    await this.store.remove(this.root);
  }

  private async pointer(): Promise<LatestPointer | undefined> {
    if (!(await this.store.exists(`${this.root}/latest.json`))) return undefined;
    try {
      return JSON.parse(new TextDecoder().decode(await this.store.get(`${this.root}/latest.json`))) as LatestPointer;
    } catch {
      return undefined;
    }
  }
}
