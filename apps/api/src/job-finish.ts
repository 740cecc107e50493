import type { EventEmitter } from 'node:events';
import type { Queue, QueueEvents } from 'bullmq';

/** How a job's wait ended: the job completed or failed for good, or the wait ran out (or the API is closing). */
export type WaitOutcome = 'completed' | 'failed' | 'timeout';

export interface FinishListener {
  /** Resolves when the job finishes, or with `timeout` after `ms`. */
  wait(ms: number): Promise<WaitOutcome>;
  /** Stops listening (the job was not enqueued after all). */
  stop(): void;
}

/**
 * Listens for a job's end on its queue's event stream, starting before the job is added: no event
 * of the job can come before the listener, so, unlike BullMQ's `waitUntilFinished` (which listens
 * after the add and then reads the job's state once, for a job that finished in between), it needs
 * no round trip of its own. The outcome is the state: `failed` events are final failures only
 * (an attempt that will be retried goes back to waiting or delayed).
 */
export function listenForFinish(queueEvents: QueueEvents, queue: Queue, jobId: string): FinishListener {
  // Per-job event names (`completed:<id>`) and 'closing' are outside BullMQ's typed event maps.
  const events = queueEvents as unknown as EventEmitter;
  const closing = queue as unknown as EventEmitter;
  let settle!: (outcome: WaitOutcome) => void;
  const finished = new Promise<WaitOutcome>((resolve) => (settle = resolve));
  const completedEvent = `completed:${jobId}`;
  const failedEvent = `failed:${jobId}`;
  const onCompleted = () => end('completed');
  const onFailed = () => end('failed');
  // The API is closing: the job goes on, the client polls it.
  const onClosing = () => end('timeout');
  function stop() {
    events.off(completedEvent, onCompleted);
    events.off(failedEvent, onFailed);
    closing.off('closing', onClosing);
  }
  function end(outcome: WaitOutcome) {
    stop();
    settle(outcome);
  }
  events.on(completedEvent, onCompleted);
  events.on(failedEvent, onFailed);
  closing.on('closing', onClosing);
  return {
    async wait(ms) {
      const timer = setTimeout(() => end('timeout'), ms);
      try {
        return await finished;
      } finally {
        clearTimeout(timer);
      }
    },
    stop,
  };
}
