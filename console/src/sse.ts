// Reads a text/event-stream from fetch(): EventSource cannot send the Authorization header, and the token must not go
// into the URL (it would land in access logs and history). Frames per the WHATWG SSE format: `event:`, `id:`, `data:`.
export interface SseFrame {
  event: string;
  id: string | null;
  data: string;
}

/** Splits text into complete frames; returns them and the unfinished tail to prepend to the next chunk. */
export function parseFrames(text: string): { frames: SseFrame[]; rest: string } {
  // A chunk may end between the \r and \n of one CRLF: keep that \r for the next chunk, or it reads as two line ends.
  const held = text.endsWith('\r') ? '\r' : '';
  const parts = text.slice(0, text.length - held.length).replace(/\r\n?/g, '\n').split('\n\n');
  const rest = (parts.pop() ?? '') + held;
  const frames = parts.map((part) => {
    const frame: SseFrame = { event: 'message', id: null, data: '' };
    const data: string[] = [];
    for (const line of part.split('\n')) {
      const at = line.indexOf(':');
      if (at === 0) continue; // a comment
      const field = at < 0 ? line : line.slice(0, at);
      const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
      if (field === 'event') frame.event = value;
      else if (field === 'id') frame.id = value;
      else if (field === 'data') data.push(value);
    }
    frame.data = data.join('\n');
    return frame;
  });
  return { frames, rest };
}

/** Calls onFrame for each frame until the stream ends or `signal` aborts. */
export async function readSse(body: ReadableStream<Uint8Array>, onFrame: (f: SseFrame) => void, signal: AbortSignal): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  signal.addEventListener('abort', () => void reader.cancel().catch(() => undefined), { once: true });
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    const { frames, rest } = parseFrames(buffer + decoder.decode(value, { stream: true }));
    buffer = rest;
    frames.forEach(onFrame);
  }
}
