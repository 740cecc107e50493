import fc from 'fast-check';
import { RequestStats } from '../http.ts';
import { rowFrom } from '../report.ts';
import { multipartBody, requestArbitrary, type OpenApiDocument } from '../openapi-fuzz.ts';
import type { Scenario } from '../context.ts';

/**
 * Malformed requests generated with fast-check from the OpenAPI document, sent to the API on the
 * idle prefix (what it accepts is never run). Every answer must be a 4xx (a 2xx is counted, a
 * generated request can happen to be valid); a 5xx or no answer misses the goal.
 */
export const fuzz: Scenario = {
  name: 'fuzz',
  async run(context) {
    const { system, scale } = context;
    const stats = new RequestStats();
    const client = system.client(stats, system.idleApi);
    const docAnswer = await client.get('/docs/json');
    if (docAnswer.status !== 200) throw new Error(`GET /docs/json: ${docAnswer.status}`);
    const doc = docAnswer.json as OpenApiDocument;
    const seed = Math.floor(context.random() * 2 ** 31);
    const generated = fc.sample(requestArbitrary(doc), { numRuns: scale.fuzzRequests, seed });
    // The upload route reads raw and multipart bodies outside the JSON schema: broken multipart bodies too.
    const uploads = Array.from({ length: 16 }, (_, i) => ({
      method: 'POST',
      url: `/v1/datasets?kind=${['prices', 'text', 'pairs', 'messenger'][i % 4]}`,
      ...multipartBody('Date,Close\n"Sep 22, 2017",1\n', i),
      what: 'POST /v1/datasets (multipart)',
    }));
    const requests = [...generated, ...uploads];
    const window = system.probe.window();
    const noAnswer: string[] = [];
    const serverErrorSamples: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < requests.length) {
          const request = requests[next++]!;
          const answer = await client.request(request.method, request.url, { raw: request.body, headers: request.headers, timeoutMs: 20_000 });
          if (answer.status === 0) noAnswer.push(request.what);
          if (answer.status >= 500) serverErrorSamples.push(`${answer.status} ${request.what} ${request.url.slice(0, 80)}: ${answer.text.slice(0, 120)}`);
        }
      }),
    );
    const alive = (await system.client(new RequestStats(), system.idleApi).get('/healthz')).status === 200;
    const twoXX = stats.count((s) => s >= 200 && s < 300);
    const fourXX = stats.count((s) => s >= 400 && s < 500);
    const row = rowFrom(
      {
        scenario: `${requests.length} malformed requests from the OpenAPI document (fast-check seed ${seed})`,
        finding: 'limit/offset Infinity, truncated multipart, fuzzed requests: 500s',
        faults: requests.length,
        outcome: `${fourXX} × 4xx, ${twoXX} × 2xx, ${stats.count((s) => s >= 500)} × 5xx, ${noAnswer.length} unanswered; API ${alive ? 'up' : 'DOWN'}`,
        missed: [...(noAnswer.length > 0 ? [`${noAnswer.length} requests got no answer`] : []), ...(alive ? [] : ['the API died'])],
        details: [...serverErrorSamples.slice(0, 8), ...noAnswer.slice(0, 3).map((w) => `no answer: ${w}`)],
      },
      undefined,
      stats,
      window.end(),
    );
    // Generated bodies of up to 200 KB take their time to parse: the per-request figure is not a stall.
    return [{ ...row, worstRequestMs: null }];
  },
};
