import { resolveSeq2SeqParams, type Seq2SeqSettings } from '@mlq/specs';
import { ModelConfigError } from '../errors.ts';
import { tokenize } from './tokenizer.ts';

/**
 * The chat model's parameters and reply options come from the family's spec (`@mlq/specs`,
 * `families/seq2seq.ts`): the same schemas the API validates requests with.
 */
export { replyDefaults, seq2seqDefaults } from '@mlq/specs';

/** Hyperparameters of the seq2seq chat model. */
export type Seq2SeqParams = Seq2SeqSettings;

/**
 * Fills defaults and checks every field; throws `ModelConfigError` naming the field and the bound
 * (`units must be <= 1024, got 2000`). Unknown fields are errors too, and so is a probe with no
 * word, punctuation mark or emoji (it would have nothing to reply to).
 */
export function validateSeq2SeqParams(params: Partial<Seq2SeqParams> = {}): Seq2SeqParams {
  const resolved = resolveSeq2SeqParams(params);
  resolved.probes.forEach((probe, i) => {
    if (tokenize(probe).length === 0) throw new ModelConfigError(`probes[${i}]`, 'has no words, punctuation or emoji');
  });
  return resolved;
}
