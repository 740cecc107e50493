// A bare Fastify route answering POST /v1/predict with a constant job-sized JSON, no Redis, no
// queue: `npm run bench`'s `serving` section measures it with the client it measures ours with,
// to show what HTTP and that client alone cost on this machine. Usage: http-floor-server.ts PORT
import Fastify from 'fastify';

const answer = {
  id: 'pr_00000000000000000000',
  queue: 'predict',
  name: 'predict',
  state: 'completed',
  progress: 0,
  attempts: { made: 1, max: 2 },
  data: { model: 'm_tr_00000000000000000000', horizon: 1 },
  result: { kind: 'price', modelId: 'm_tr_00000000000000000000', name: 'sbs-linear', version: 1, horizon: 1, forecast: [3654.2], dates: ['2017-09-23'], cached: true, backend: 'wasm' },
  error: null,
  createdAt: '2017-09-22T00:00:00.000Z',
  startedAt: '2017-09-22T00:00:00.001Z',
  finishedAt: '2017-09-22T00:00:00.002Z',
  parent: null,
};
const app = Fastify({ logger: false });
app.get('/readyz', async () => ({ status: 'ready' }));
app.post('/v1/predict', async () => answer);
await app.listen({ host: '127.0.0.1', port: Number(process.argv[2]) });
