/** Server-sent events parsed from a response body: `event:` and JSON `data:` per block. */
export interface ServerSentEvent {
  event: string;
  data: any;
  /** Milliseconds after the request was sent that the block arrived (for streams read live). */
  at: number;
}

export function parseServerSentEvents(body: string, at = 0): ServerSentEvent[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return { event, data: data === undefined ? undefined : JSON.parse(data), at };
    });
}

/** Reads an SSE response as it arrives, noting when each event came. */
export async function readServerSentEvents(response: Response): Promise<ServerSentEvent[]> {
  const started = Date.now();
  const decoder = new TextDecoder();
  const events: ServerSentEvent[] = [];
  let buffered = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    const end = buffered.lastIndexOf('\n\n');
    if (end < 0) continue;
    events.push(...parseServerSentEvents(buffered.slice(0, end + 2), Date.now() - started));
    buffered = buffered.slice(end + 2);
  }
  return events;
}
