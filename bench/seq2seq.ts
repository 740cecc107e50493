// `npm run bench` section `seq2seq`: training pairs/s and replies/s (greedy, beam 5) of the chat model,
// with the default params and a larger, talk-like size, on tiny Shakespeare's dialogue pairs.
import { findBuiltinPairDataset } from '@mlq/datasets';
import { seq2seqDefaults, trainChatModel, type ChatModel, type Seq2SeqParams } from '@mlq/models';
import { modelBackend, secondsSince, withTensorCount, type ModelBenchOptions } from './model-common.ts';

const SEED = 1;
const BEAM_WIDTH = 5;

interface Seq2SeqRun {
  label: string;
  params: Partial<Seq2SeqParams>;
  /** The first `trainingPairs` pairs are trained on. */
  trainingPairs: number;
  /** The last epoch is timed; earlier ones are warm-up. */
  epochs: number;
  greedyReplies: number;
  beamReplies: number;
  note: string;
}

function timeReplies(model: ChatModel, messages: readonly string[], beam: boolean): { perSecond: number; msPerReply: number; tokens: number } {
  let tokens = 0;
  const started = performance.now();
  for (const message of messages) {
    tokens += beam ? model.reply(message, { strategy: 'beam', beamWidth: BEAM_WIDTH, n: 1 })[0]!.tokens.length : model.reply(message).tokens.length;
  }
  const seconds = secondsSince(started);
  return { perSecond: messages.length / seconds, msPerReply: (seconds * 1000) / messages.length, tokens: tokens / messages.length };
}

export async function benchSeq2Seq({ quick }: ModelBenchOptions): Promise<void> {
  const backend = await modelBackend();
  const pairs = await findBuiltinPairDataset('tinyshakespeare-dialogue')!.load();
  const talkSize = quick ? { units: 256, embeddingSize: 128 } : { units: 512, embeddingSize: 256 };
  const runs: Seq2SeqRun[] = [
    {
      label: `default params (units ${seq2seqDefaults.units}, embeddingSize ${seq2seqDefaults.embeddingSize})`,
      params: {},
      // Enough pairs for the full 4,000-word vocabulary (the output layer dominates the cost).
      trainingPairs: quick ? 64 : 2400,
      epochs: 1,
      greedyReplies: quick ? 5 : 100,
      beamReplies: quick ? 2 : 30,
      note: '',
    },
    {
      label: `talk-like size (units ${talkSize.units}, embeddingSize ${talkSize.embeddingSize}, the other params default)`,
      params: talkSize,
      // About 50 pairs/s on wasm: a few batches only, so the vocabulary is that of those pairs.
      trainingPairs: quick ? 32 : 96,
      epochs: quick ? 1 : 2,
      greedyReplies: quick ? 3 : 40,
      beamReplies: quick ? 1 : 15,
      note: quick ? ' [quick: shrunk]' : '',
    },
  ];
  for (const run of runs) {
    await withTensorCount(`seq2seq ${run.label.split(' (')[0]}`, async () => {
      const epochEnds: number[] = [];
      const started = performance.now();
      const model = await trainChatModel(pairs.slice(0, run.trainingPairs), {
        params: { ...run.params, epochs: run.epochs, validationSplit: 0, probes: [] },
        seed: SEED,
        onEpochEnd: () => {
          epochEnds.push(performance.now());
        },
      });
      try {
        const p = model.params;
        const timedFrom = run.epochs > 1 ? epochEnds.at(-2)! : started;
        const trainSeconds = (epochEnds.at(-1)! - timedFrom) / 1000;
        const trained = model.metadata.pairs.training;
        console.log(
          `seq2seq training, ${run.label}${run.note} on ${backend}: ${(trained / trainSeconds).toFixed(1)} pairs/s ` +
            `(${trained} tinyshakespeare-dialogue pairs, batch ${p.batchSize}, vocabulary ${model.tokenizer.size} of max ${p.maxVocabulary}, ` +
            (run.epochs > 1 ? `epoch ${run.epochs} of ${run.epochs} timed, the first a warm-up: ` : '1 epoch timed from the call, setup included: ') +
            `${trainSeconds.toFixed(1)} s; loss ${model.metrics.loss.toFixed(3)} nats/token)`,
        );
        // Messages from the end of the dialogue, never trained on.
        const messages = pairs.slice(-Math.max(run.greedyReplies, run.beamReplies)).map((pair) => pair.input);
        model.reply(messages[0]!); // warm-up
        model.reply(messages[0]!, { strategy: 'beam', beamWidth: BEAM_WIDTH });
        const greedy = timeReplies(model, messages.slice(0, run.greedyReplies), false);
        const beam = timeReplies(model, messages.slice(0, run.beamReplies), true);
        console.log(
          `seq2seq replies, ${run.label.split(' (')[0]}${run.note}: greedy ${greedy.perSecond.toFixed(1)} replies/s (${greedy.msPerReply.toFixed(1)} ms, ` +
            `${greedy.tokens.toFixed(1)} tokens per reply, ${run.greedyReplies} messages), beam width ${BEAM_WIDTH} ${beam.perSecond.toFixed(1)} replies/s ` +
            `(${beam.msPerReply.toFixed(1)} ms, best reply ${beam.tokens.toFixed(1)} tokens, ${run.beamReplies} messages); maxReplyLength ${p.maxReplyLength}`,
        );
      } finally {
        model.dispose();
      }
    });
  }
}
