import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { scopeIncludes } from '@mlq/jobs';
import { scopeRoutes } from './route-scope.ts';

export const BOARD_PATH = '/admin/queues';

const reads = (method: string) => method === 'GET' || method === 'HEAD';

/**
 * Bull Board over every queue, at /admin/queues; its routes stay out of the OpenAPI document.
 * Authorized by encapsulation: hooks of the plugin context that registers the board apply to
 * exactly the board's routes, however their URL is spelled. Reading needs `read`; anything that
 * can change a queue (every other method) needs `admin`, and with `readOnly` nobody may.
 * Callers without an admin key see the board read-only.
 */
export async function registerBoard(app: FastifyInstance, options: { readOnly?: boolean } = {}): Promise<void> {
  const readOnly = options.readOnly ?? false;
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: Object.values(app.services.queues).map((queue) => new BullMQAdapter(queue, { readOnlyMode: readOnly })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'mlq queues' } },
  });
  const mayAct = (request: FastifyRequest) => !readOnly && request.grantedScope !== undefined && scopeIncludes(request.grantedScope, 'admin');

  await app.register(
    async (board) => {
      board.addHook('onRoute', scopeRoutes('read', 'admin'));
      board.addHook('onRoute', (route) => {
        route.config = { ...route.config, dashboard: true };
      });
      // After the auth hook (a parent context's hook runs first): the caller is an admin here.
      board.addHook('onRequest', async (request, reply) => {
        if (readOnly && !reads(request.method)) {
          return reply.status(405).send({ statusCode: 405, error: 'Method Not Allowed', message: 'the dashboard is read-only (BOARD_READ_ONLY)' });
        }
      });
      // The UI greys out its actions for queues marked read-only: mark them for non-admins.
      board.addHook('preSerialization', async (request, _reply, payload: unknown) => {
        if (mayAct(request) || !isQueueList(payload)) return payload;
        return { ...payload, queues: payload.queues.map((queue) => ({ ...queue, readOnlyMode: true })) };
      });
      await board.register(serverAdapter.registerPlugin());
    },
    { prefix: BOARD_PATH },
  );
}

function isQueueList(payload: unknown): payload is { queues: Array<Record<string, unknown>> } {
  return typeof payload === 'object' && payload !== null && Array.isArray((payload as { queues?: unknown }).queues);
}
