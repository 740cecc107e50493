import type { JobState, JobType } from 'bullmq';

/**
 * Every state BullMQ keeps a job in, one list or sorted set of its queue each, in the order of a
 * job's life: waiting (for a worker, or for its children), prioritized, delayed, active, finished.
 * The API's other state lists are derived from this one; `job-states.test.ts` holds it equal to
 * BullMQ's `JobState`.
 */
export const jobStates = ['waiting', 'waiting-children', 'prioritized', 'delayed', 'active', 'completed', 'failed'] as const satisfies readonly JobState[];

/**
 * What metrics count per queue: every job state, and `paused` (jobs held while their queue is
 * paused), which BullMQ counts apart.
 */
export const countedStates = [...jobStates, 'paused'] as const satisfies readonly JobType[];

/**
 * A job's state as the API shows it: `cancelled` is a failed job whose reason is the cancellation,
 * `unknown` a job BullMQ no longer finds in any state.
 */
export const viewStates = [...jobStates, 'cancelled', 'unknown'] as const;

/** The states a job listing filters on: every state a job is read in, and `cancelled`. */
export const listingFilterStates = [...jobStates, 'cancelled'] as const;
export type ListingFilterState = (typeof listingFilterStates)[number];
