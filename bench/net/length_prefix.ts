/**
 * Length-prefixed messages over plain TCP, for the `net` baselines: `[u32 length LE | bytes]`.
 * The parser hands out each message as a view of the chunk it arrived in, or, when it spans
 * chunks, of a buffer of its own, as an application on plain `net` would.
 */
import type { Socket } from 'node:net';
import { RAW_TCP_PREFIX_BYTES } from './echo_protocol.js';

export class LengthPrefixParser {
  private readonly on_message: (message: Uint8Array) => void;
  private readonly prefix = new Uint8Array(RAW_TCP_PREFIX_BYTES);
  private prefix_have = 0;
  private message: Uint8Array | null = null;
  private message_have = 0;

  constructor(on_message: (message: Uint8Array) => void) {
    this.on_message = on_message;
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    const end = chunk.length;
    while (at < end) {
      if (this.message !== null) {
        const take = Math.min(end - at, this.message.length - this.message_have);
        this.message.set(chunk.subarray(at, at + take), this.message_have);
        this.message_have += take;
        at += take;
        if (this.message_have === this.message.length) {
          const message = this.message;
          this.message = null;
          this.on_message(message);
        }
        continue;
      }
      if (this.prefix_have > 0 || end - at < RAW_TCP_PREFIX_BYTES) {
        const take = Math.min(end - at, RAW_TCP_PREFIX_BYTES - this.prefix_have);
        this.prefix.set(chunk.subarray(at, at + take), this.prefix_have);
        this.prefix_have += take;
        at += take;
        if (this.prefix_have < RAW_TCP_PREFIX_BYTES) return;
        this.prefix_have = 0;
        this.open(this.prefix[0]! | (this.prefix[1]! << 8) | (this.prefix[2]! << 16) | (this.prefix[3]! << 24));
        continue;
      }
      const length = (chunk[at]! | (chunk[at + 1]! << 8) | (chunk[at + 2]! << 16) | (chunk[at + 3]! << 24)) >>> 0;
      at += RAW_TCP_PREFIX_BYTES;
      if (end - at >= length) {
        this.on_message(chunk.subarray(at, at + length));
        at += length;
      } else {
        this.open(length);
      }
    }
  }

  private open(length: number): void {
    this.message = new Uint8Array(length >>> 0);
    this.message_have = 0;
    if (length === 0) {
      this.message = null;
      this.on_message(new Uint8Array(0));
    }
  }
}

/** `[u32 length LE | message]` as one buffer. */
export function length_prefixed(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(RAW_TCP_PREFIX_BYTES + message.length);
  out.writeUInt32LE(message.length, 0);
  out.set(message, RAW_TCP_PREFIX_BYTES);
  return out;
}

/**
 * Echoes the length-prefixed messages read on `socket` (plain `net` or `tls`): each parsed and
 * written back whole, or only its first `ack_bytes()` bytes when that is not 0; the writes of one
 * read are corked into one.
 */
export function echo_length_prefixed(socket: Socket, ack_bytes: () => number = () => 0): void {
  const parser = new LengthPrefixParser((message) => {
    const n = ack_bytes();
    socket.write(length_prefixed(n === 0 ? message : message.subarray(0, n)));
  });
  socket.on('data', (data: Buffer) => {
    socket.cork();
    parser.push(data);
    socket.uncork();
  });
}
