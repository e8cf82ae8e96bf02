// The console's SSE reader (console/src/sse.ts): frames split anywhere across chunks, CRLF, comments, multi-line data,
// and a real stream read to its end — the parts the browser test only sees whole.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseFrames, readSse, type SseFrame } from '../console/src/sse.js';

const TEXT = ': a comment\nid: 1\nevent: step\ndata: {"a":1}\n\nid: 2\r\nevent: probe\r\ndata: line one\r\ndata: line two\r\n\r\nevent: ping\ndata: {}\n\n';
const WANT: SseFrame[] = [
  { event: 'step', id: '1', data: '{"a":1}' },
  { event: 'probe', id: '2', data: 'line one\nline two' },
  { event: 'ping', id: null, data: '{}' },
];

describe('console SSE reader', () => {
  it('parses whole frames and keeps an unfinished tail', () => {
    assert.deepEqual(parseFrames(TEXT), { frames: WANT, rest: '' });
    assert.deepEqual(parseFrames('id: 3\nevent: run\ndata: {'), { frames: [], rest: 'id: 3\nevent: run\ndata: {' });
  });

  it('reads a stream cut at every byte into the same frames', async () => {
    const bytes = new TextEncoder().encode(TEXT);
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const b of bytes) c.enqueue(new Uint8Array([b]));
        c.close();
      },
    });
    const got: SseFrame[] = [];
    await readSse(body, (f) => got.push(f), new AbortController().signal);
    assert.deepEqual(got, WANT);
  });
});
