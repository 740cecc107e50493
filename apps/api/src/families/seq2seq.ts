import type { FastifyInstance } from 'fastify';
import { seq2seqDefaults, type Seq2SeqModelRecord, type Seq2SeqTrainPayload } from '@mlq/jobs';
import { HttpError } from '../plugins/errors.ts';
import type { ApiFamily } from './api-family.ts';

/** The chatbot's checks before a job is enqueued: a pairs dataset, and word vectors as wide as the embedding. */
export const seq2seqApiFamily: ApiFamily<Seq2SeqTrainPayload, Seq2SeqModelRecord> = {
  kind: 'seq2seq',
  streams: false,

  async checkTraining(app: FastifyInstance, payload: Seq2SeqTrainPayload): Promise<void> {
    await app.catalog.recordOf(payload.dataset, 'pairs');
    const embeddingSize = payload.params?.embeddingSize ?? seq2seqDefaults.embeddingSize;
    if (!payload.wordVectors) {
      if (payload.params?.freezeEmbeddings) throw new HttpError(400, 'params.freezeEmbeddings needs wordVectors: a frozen random embedding cannot learn', 'body/params/freezeEmbeddings');
      return;
    }
    const vectors = await app.catalog.recordOf(payload.wordVectors, 'word-vectors');
    if (vectors.summary.dimension !== embeddingSize) {
      throw new HttpError(
        400,
        `word vectors ${vectors.id} have dimension ${vectors.summary.dimension}; params.embeddingSize is ${embeddingSize}: set it to ${vectors.summary.dimension}`,
        'body/params/embeddingSize',
      );
    }
  },

  checkPredict: () => undefined,
};
