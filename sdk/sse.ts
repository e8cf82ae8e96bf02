// A server-sent events reader: turns a response body into {event, id, data} messages.
// ref: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

export interface SseMessage {
  /** `message` when the stream named none. */
  event: string;
  /** This message's own `id:` field, or null (the spec's carried-over "last event id" is the caller's to keep). */
  id: string | null;
  data: string;
}

/** Reads messages until the body ends; `data:` lines are joined with "\n", comments (`:`) are skipped. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | null = null;
  let sawData = false;

  function* lines(final: boolean): Generator<string> {
    for (;;) {
      const match = /\r\n|\n|\r/.exec(buffer);
      // A lone "\r" at the end of a chunk may be the first half of "\r\n": wait for more.
      if (!match || (match[0] === '\r' && match.index === buffer.length - 1 && !final)) return;
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      yield line;
    }
  }

  const take = (line: string): SseMessage | null => {
    if (line === '') {
      const message = sawData ? { event: event || 'message', id, data: data.join('\n') } : null;
      event = '';
      id = null;
      data = [];
      sawData = false;
      return message;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') {
      data.push(value);
      sawData = true;
    } else if (field === 'id' && !value.includes('\0')) id = value;
    return null;
  };

  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (const line of lines(done)) {
        const message = take(line);
        if (message) yield message;
      }
      if (done) return;
    }
  } finally {
    // Stops the download when the consumer leaves early.
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
