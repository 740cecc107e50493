import { Type, type Static } from '@sinclair/typebox';
import type { QueueName } from '@mlq/jobs';

/** The 202 answer to an enqueue: where to poll the job. */
export const AcceptedSchema = Type.Object({
  jobId: Type.String(),
  queue: Type.String(),
  state: Type.String(),
  location: Type.String({ description: 'Poll this for state, progress and result' }),
});
export type Accepted = Static<typeof AcceptedSchema>;

export const acceptedJob = (jobId: string, queue: QueueName): Accepted => ({ jobId, queue, state: 'waiting', location: `/v1/jobs/${jobId}` });
