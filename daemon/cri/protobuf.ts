// Protocol buffers wire format, by hand: just enough to read and write the few CRI messages eris uses
// (varints, length-delimited fields, and skipping everything else without materialising it).
// ref: https://protobuf.dev/programming-guides/encoding/

export const WIRE = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

/** A message that does not parse (truncated, bad wire type, varint too long). */
export class ProtobufError extends Error {
  override name = 'ProtobufError';
}

const decoder = new TextDecoder('utf-8');
const encoder = new TextEncoder();

export class ProtoReader {
  readonly #buf: Uint8Array;
  #pos: number;
  readonly #end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#pos = start;
    this.#end = end;
  }

  get done(): boolean {
    return this.#pos >= this.#end;
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wire: number } {
    const key = this.varint();
    const field = Math.floor(key / 8);
    if (field === 0) throw new ProtobufError('field number 0');
    return { field, wire: key % 8 };
  }

  /** An unsigned varint up to 2^53 (int32/uint32/enum/bool; negative int32 is read modulo 2^64, so mask it). */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#end) throw new ProtobufError('truncated varint');
      const byte = this.#buf[this.#pos++] as number;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new ProtobufError('varint longer than 10 bytes');
  }

  /** An int64 as a decimal string (CRI timestamps are nanoseconds: beyond 2^53). */
  int64(): string {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#end) throw new ProtobufError('truncated varint');
      const byte = this.#buf[this.#pos++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asIntN(64, result).toString();
      shift += 7n;
    }
    throw new ProtobufError('varint longer than 10 bytes');
  }

  /** The payload of a length-delimited field, as a view (no copy). */
  bytes(): Uint8Array {
    const length = this.varint();
    const start = this.#pos;
    if (length > this.#end - start) throw new ProtobufError('truncated length-delimited field');
    this.#pos = start + length;
    return this.#buf.subarray(start, this.#pos);
  }

  string(): string {
    return decoder.decode(this.bytes());
  }

  /** A nested message's reader, positioned over its payload. */
  message(): ProtoReader {
    const payload = this.bytes();
    return new ProtoReader(payload);
  }

  /** Steps over a field of this wire type without decoding it. */
  skip(wire: number): void {
    switch (wire) {
      case WIRE.VARINT:
        this.varint();
        return;
      case WIRE.I64:
        this.#advance(8);
        return;
      case WIRE.LEN: {
        const length = this.varint();
        this.#advance(length);
        return;
      }
      case WIRE.I32:
        this.#advance(4);
        return;
      default:
        // Groups (3, 4) are proto2-only and not in CRI.
        throw new ProtobufError(`unsupported wire type ${wire}`);
    }
  }

  #advance(n: number): void {
    if (n > this.#end - this.#pos) throw new ProtobufError('truncated field');
    this.#pos += n;
  }
}

/**
 * Reads one map<string, string> entry; `want` decides from the key whether the value is decoded at all
 * (an unwanted value stays an undecoded view). Returns undefined for an unwanted key.
 */
export function readMapEntry(entry: ProtoReader, want: (key: string) => boolean): [string, string] | undefined {
  let key = '';
  let value: Uint8Array | undefined;
  while (!entry.done) {
    const { field, wire } = entry.tag();
    if (field === 1 && wire === WIRE.LEN) key = entry.string();
    else if (field === 2 && wire === WIRE.LEN) value = entry.bytes();
    else entry.skip(wire);
  }
  if (!want(key)) return undefined;
  return [key, value === undefined ? '' : decoder.decode(value)];
}

export class ProtoWriter {
  readonly #chunks: number[] = [];

  #varint(value: number): void {
    let v = value;
    while (v >= 0x80) {
      this.#chunks.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.#chunks.push(v);
  }

  #tag(field: number, wire: number): void {
    this.#varint(field * 8 + wire);
  }

  #bytes(field: number, data: Uint8Array): void {
    this.#tag(field, WIRE.LEN);
    this.#varint(data.length);
    for (const b of data) this.#chunks.push(b);
  }

  /** proto3: a default value (empty string) is not written. */
  string(field: number, value: string | undefined): this {
    if (value) this.#bytes(field, encoder.encode(value));
    return this;
  }

  bool(field: number, value: boolean | undefined): this {
    if (value) {
      this.#tag(field, WIRE.VARINT);
      this.#varint(1);
    }
    return this;
  }

  /** A non-negative integer (uint32, enum, non-negative int32/int64 up to 2^53). */
  uint(field: number, value: number | undefined): this {
    if (value !== undefined && value !== 0) {
      if (!Number.isSafeInteger(value) || value < 0) throw new ProtobufError(`field ${field}: ${value} is not a non-negative integer`);
      this.#tag(field, WIRE.VARINT);
      this.#varint(value);
    }
    return this;
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    this.#bytes(field, inner.finish());
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#chunks);
  }
}
