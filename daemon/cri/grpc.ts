// Unary gRPC calls over a unix socket with node:http2 (no grpc-js: it costs ~15 MiB RSS to import).
// ref: https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md
import http2 from 'node:http2';
import net from 'node:net';

/** gRPC status codes by number. ref: grpc/include/grpcpp/impl/codegen/status_code_enum.h */
export const GRPC_STATUS_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;
const CODE = { CANCELLED: 1, UNKNOWN: 2, DEADLINE_EXCEEDED: 4, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

/** A call that ended with a non-OK status (from the server, or ours: deadline, transport, framing). */
export class GrpcError extends Error {
  override name = 'GrpcError';
  readonly code: number;
  readonly details: string;
  constructor(code: number, details: string, options?: { cause?: unknown }) {
    super(`${code} ${GRPC_STATUS_NAMES[code] ?? 'UNKNOWN'}: ${details}`, options);
    this.code = code;
    this.details = details;
  }
}

export interface UnixGrpcChannel {
  /** One request message in, one response message out (the payload without the 5-byte frame header). */
  unary(path: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  close(): void;
}

export interface UnixGrpcOptions {
  socketPath: string;
  /** Largest response accepted (kubelet allows 16 MiB: ListContainers on a busy node). */
  maxReceiveBytes?: number;
}

export function createUnixGrpcChannel(options: UnixGrpcOptions): UnixGrpcChannel {
  const { socketPath } = options;
  const maxReceiveBytes = options.maxReceiveBytes ?? 16 * 1024 * 1024;
  let session: http2.ClientHttp2Session | undefined;
  let sessionError: Error | undefined;
  let closed = false;

  // One HTTP/2 connection, made on first use and again after it drops (the runtime restarted): no backoff,
  // the next call simply reconnects.
  function connect(): http2.ClientHttp2Session {
    if (session !== undefined && !session.closed && !session.destroyed) return session;
    const s = http2.connect('http://localhost', { createConnection: () => net.connect(socketPath) });
    const forget = (): void => {
      if (session === s) session = undefined;
    };
    s.on('error', (err: Error) => {
      // The streams on it fail too; remember why (ENOENT, ECONNREFUSED) to name it in their status.
      sessionError = err;
      forget();
    });
    s.on('close', forget);
    s.on('goaway', forget);
    // Idle connections must not keep the process alive; a call in flight holds its deadline timer.
    s.unref();
    session = s;
    return s;
  }

  function unary(path: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (closed) return Promise.reject(new GrpcError(CODE.UNAVAILABLE, 'channel closed'));
    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = false;
      let stream: http2.ClientHttp2Stream | undefined;
      const finish = (err: GrpcError | undefined, body?: Uint8Array): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          if (stream && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
          reject(err);
        } else resolve(body as Uint8Array);
      };
      const timer = setTimeout(() => finish(new GrpcError(CODE.DEADLINE_EXCEEDED, `Deadline exceeded after ${timeoutMs} ms`)), timeoutMs);
      sessionError = undefined;
      try {
        stream = connect().request({
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/grpc',
          te: 'trailers',
          'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
        });
      } catch (err) {
        finish(new GrpcError(CODE.UNAVAILABLE, errorText(err), { cause: err }));
        return;
      }
      let status: number | undefined;
      let message = '';
      let httpStatus = 200;
      const chunks: Buffer[] = [];
      let received = 0;
      const readStatus = (headers: http2.IncomingHttpHeaders): void => {
        const raw = headers['grpc-status'];
        if (raw === undefined) return;
        status = Number(raw);
        message = decodeGrpcMessage(headers['grpc-message']);
      };
      let responded = false;
      stream.on('response', (headers) => {
        responded = true;
        httpStatus = Number(headers[':status'] ?? 200);
        readStatus(headers); // a trailers-only reply carries the status in the headers
      });
      stream.on('trailers', readStatus);
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxReceiveBytes + 5) {
          finish(new GrpcError(CODE.RESOURCE_EXHAUSTED, `response larger than ${maxReceiveBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      stream.on('error', (err) => {
        const why = sessionError && !responded ? sessionError : err;
        finish(new GrpcError(CODE.UNAVAILABLE, `${socketPath}: ${errorText(why)}`, { cause: why }));
      });
      stream.on('close', () => {
        if (settled) return;
        if (status === undefined) {
          if (!responded) finish(new GrpcError(CODE.UNAVAILABLE, sessionError ? `${socketPath}: ${sessionError.message}` : 'connection closed before a response', { cause: sessionError }));
          else if (httpStatus !== 200) finish(new GrpcError(codeOfHttpStatus(httpStatus), `HTTP status ${httpStatus}`));
          else finish(new GrpcError(stream?.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM ? CODE.UNAVAILABLE : CODE.UNKNOWN, 'stream closed without a gRPC status'));
          return;
        }
        if (status !== 0) {
          finish(new GrpcError(status in GRPC_STATUS_NAMES ? status : CODE.UNKNOWN, message));
          return;
        }
        const frame = unframe(Buffer.concat(chunks));
        if (frame instanceof GrpcError) finish(frame);
        else finish(undefined, frame);
      });
      stream.end(frameMessage(request));
    });
  }

  return {
    unary,
    close() {
      closed = true;
      session?.close();
      session = undefined;
    },
  };
}

/** The 5-byte gRPC message prefix: compressed flag 0, then the length (big-endian uint32). */
export function frameMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** The single message of a unary response, or why the body is not one. */
export function unframe(body: Buffer): Uint8Array | GrpcError {
  if (body.length < 5) return new GrpcError(CODE.INTERNAL, body.length === 0 ? 'no response message' : 'truncated message frame');
  if (body[0] !== 0) return new GrpcError(CODE.INTERNAL, 'compressed response (no grpc-encoding was offered)');
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return new GrpcError(CODE.INTERNAL, `truncated message frame: ${body.length - 5} of ${length} bytes`);
  if (body.length > 5 + length) return new GrpcError(CODE.UNIMPLEMENTED, 'more than one response message for a unary call');
  return body.subarray(5, 5 + length);
}

/** grpc-message is percent-encoded. */
function decodeGrpcMessage(raw: string | string[] | undefined): string {
  const text = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** ref: PROTOCOL-HTTP2.md / http-grpc-status-mapping.md */
function codeOfHttpStatus(status: number): number {
  if (status === 401) return CODE.UNAUTHENTICATED;
  if (status === 403) return CODE.PERMISSION_DENIED;
  if (status === 404) return CODE.UNIMPLEMENTED;
  if (status === 429 || status === 502 || status === 503 || status === 504) return CODE.UNAVAILABLE;
  return CODE.UNKNOWN;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
