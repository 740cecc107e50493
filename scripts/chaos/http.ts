/** What one scenario's HTTP requests saw: statuses, 5xx answers, the slowest request. */
export class RequestStats {
  requests = 0;
  statuses = new Map<number, number>();
  /** 5xx answers outside an announced outage (a 503 while Redis is down is the documented answer). */
  serverErrors: string[] = [];
  /** 503s answered while Redis was down on purpose. */
  outage503 = 0;
  transportErrors: string[] = [];
  worstMs = 0;
  worstWhat = '';
  /** Set while the scenario has taken Redis down: 503s are expected then. */
  outage = false;

  note(what: string, status: number, ms: number, timed: boolean): void {
    this.requests++;
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (status >= 500) {
      if (status === 503 && this.outage) this.outage503++;
      else this.serverErrors.push(`${status} ${what}`);
    }
    if (timed && ms > this.worstMs) {
      this.worstMs = ms;
      this.worstWhat = what;
    }
  }

  count(predicate: (status: number) => boolean): number {
    let total = 0;
    for (const [status, n] of this.statuses) if (predicate(status)) total += n;
    return total;
  }
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined. */
  json: any;
  ms: number;
}

export interface RequestOptions {
  body?: unknown;
  /** A raw body sent as is (string or bytes); `body` is sent as JSON. */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /**
   * A request that waits on purpose (`wait=30`, a stream): its duration is not a stall and is
   * left out of the worst request latency.
   */
  untimed?: boolean;
}

/** fetch against one base URL, every answer noted in `stats`; a transport error is status 0. */
export class HttpClient {
  constructor(
    readonly baseUrl: string,
    readonly stats: RequestStats,
    readonly headers: Record<string, string> = {},
  ) {}

  with(stats: RequestStats, headers: Record<string, string> = this.headers): HttpClient {
    return new HttpClient(this.baseUrl, stats, headers);
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<HttpAnswer> {
    const headers: Record<string, string> = { ...this.headers, ...options.headers };
    let body: string | Uint8Array | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const started = performance.now();
    const what = `${method} ${path.length > 120 ? `${path.slice(0, 120)}…` : path}`;
    try {
      const response = await fetch(this.baseUrl + path, {
        method,
        headers,
        body: body as RequestInit['body'],
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
      });
      const text = await response.text();
      const ms = performance.now() - started;
      this.stats.note(what, response.status, ms, !options.untimed);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json, ms };
    } catch (error) {
      const ms = performance.now() - started;
      this.stats.requests++;
      this.stats.transportErrors.push(`${what}: ${error instanceof Error ? `${error.name} ${error.message}` : String(error)}`);
      if (!options.untimed && ms > this.stats.worstMs) {
        this.stats.worstMs = ms;
        this.stats.worstWhat = `${what} (no answer)`;
      }
      return { status: 0, headers: new Headers(), text: '', json: undefined, ms };
    }
  }

  get = (path: string, options?: RequestOptions) => this.request('GET', path, options);
  post = (path: string, body?: unknown, options?: RequestOptions) => this.request('POST', path, { ...options, body });
}
