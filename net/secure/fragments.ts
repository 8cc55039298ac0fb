/**
 * Handshake messages in fragments: an INIT (1300 bytes) or a RESPONSE (1196 bytes) is larger
 * than a datagram that crosses any network unfragmented (QUIC assumes 1200 bytes), so each is
 * split into fragments of at most `fragment_bytes`, one per HANDSHAKE frame, and reassembled.
 *
 * Reassembly trusts nothing: a fragment must name a known kind whose message size matches
 * `total` exactly, an `index` below `count` ≤ FRAG_COUNT_MAX, and an `offset`/length that fit;
 * every fragment of a message must agree on `count` and `total`. A duplicate is ignored. State is
 * bounded: at most `entries_max` messages are being reassembled at once (the oldest is evicted,
 * and counted, to make room), each holds one buffer of exactly its message's size, and an entry
 * older than `timeout_ms` is discarded.
 */
import {
  FRAG_COUNT,
  FRAG_COUNT_MAX,
  FRAG_HANDSHAKE_ID,
  FRAG_HEADER_BYTES,
  FRAG_INDEX,
  FRAG_KIND,
  FRAG_OFFSET,
  FRAG_RESERVED,
  FRAG_TOTAL,
  get_u16,
  get_u32,
  handshake_bytes,
  put_u16,
  put_u32,
} from './secure_layout.js';
import { assert } from '../../kernel/assert.js';

/** Splits `message` into HANDSHAKE frame payloads of at most `fragment_bytes` data bytes each. */
export function fragment(
  kind: number,
  handshake_id: number,
  message: Uint8Array,
  fragment_bytes: number,
): Uint8Array[] {
  const count = Math.ceil(message.length / fragment_bytes);
  assert(count >= 1 && count <= FRAG_COUNT_MAX, `a handshake message of ${message.length} bytes in ${count} fragments`);
  const out: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const offset = index * fragment_bytes;
    const chunk = message.subarray(offset, Math.min(message.length, offset + fragment_bytes));
    const bytes = new Uint8Array(FRAG_HEADER_BYTES + chunk.length);
    bytes[FRAG_KIND] = kind;
    bytes[FRAG_INDEX] = index;
    bytes[FRAG_COUNT] = count;
    bytes[FRAG_RESERVED] = 0;
    put_u32(bytes, FRAG_HANDSHAKE_ID, handshake_id);
    put_u16(bytes, FRAG_TOTAL, message.length);
    put_u16(bytes, FRAG_OFFSET, offset);
    bytes.set(chunk, FRAG_HEADER_BYTES);
    out.push(bytes);
  }
  return out;
}

/** Why a fragment was refused. */
export type FragmentFault = 'bad_fragment' | 'inconsistent_fragment';

/** A reassembled handshake message. */
export interface Reassembled {
  readonly kind: number;
  readonly handshake_id: number;
  readonly message: Uint8Array;
}

interface Entry {
  readonly key: string;
  readonly kind: number;
  readonly handshake_id: number;
  readonly count: number;
  readonly buffer: Uint8Array;
  readonly started_ms: number;
  /** Bit i set: fragment i is in. */
  received: number;
}

export class Reassembler {
  private readonly entries = new Map<string, Entry>();
  private readonly entries_max: number;
  private readonly timeout_ms: number;
  /** Entries dropped unfinished, to make room or because they timed out. */
  evicted = 0;
  expired = 0;

  constructor(entries_max: number, timeout_ms: number) {
    assert(entries_max >= 1, 'a reassembler holds at least one message');
    this.entries_max = entries_max;
    this.timeout_ms = timeout_ms;
  }

  /** Messages being reassembled. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Adds a fragment from `src_node` at time `now_ms`. Returns the whole message once its last
   * fragment is in, null while incomplete (or for a duplicate), or the fault.
   */
  add(src_node: number, bytes: Uint8Array, now_ms: number): Reassembled | null | FragmentFault {
    if (bytes.length <= FRAG_HEADER_BYTES) return 'bad_fragment';
    const kind = bytes[FRAG_KIND]!;
    const index = bytes[FRAG_INDEX]!;
    const count = bytes[FRAG_COUNT]!;
    const handshake_id = get_u32(bytes, FRAG_HANDSHAKE_ID);
    const total = get_u16(bytes, FRAG_TOTAL);
    const offset = get_u16(bytes, FRAG_OFFSET);
    const length = bytes.length - FRAG_HEADER_BYTES;
    const expected = handshake_bytes(kind);
    if (expected === 0 || total !== expected || bytes[FRAG_RESERVED] !== 0) return 'bad_fragment';
    if (count < 1 || count > FRAG_COUNT_MAX || index >= count || offset + length > total) return 'bad_fragment';
    this.expire(now_ms);
    const key = `${src_node}:${kind}:${handshake_id}`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      if (count === 1) {
        if (offset !== 0 || length !== total) return 'bad_fragment';
        return { kind, handshake_id, message: bytes.slice(FRAG_HEADER_BYTES) };
      }
      if (this.entries.size >= this.entries_max) this.evict_oldest();
      entry = { key, kind, handshake_id, count, buffer: new Uint8Array(total), started_ms: now_ms, received: 0 };
      this.entries.set(key, entry);
    } else if (entry.count !== count) {
      this.entries.delete(key);
      return 'inconsistent_fragment';
    }
    const bit = 1 << index;
    if ((entry.received & bit) !== 0) return null; // A duplicate.
    entry.buffer.set(bytes.subarray(FRAG_HEADER_BYTES), offset);
    entry.received |= bit;
    if (entry.received !== (1 << count) - 1) return null;
    this.entries.delete(key);
    return { kind, handshake_id, message: entry.buffer };
  }

  private expire(now_ms: number): void {
    for (const entry of this.entries.values()) {
      // Map order is insertion order: the first young entry ends the scan.
      if (now_ms - entry.started_ms < this.timeout_ms) break;
      this.entries.delete(entry.key);
      this.expired++;
    }
  }

  private evict_oldest(): void {
    const oldest = this.entries.keys().next();
    if (oldest.done === true) return;
    this.entries.delete(oldest.value);
    this.evicted++;
  }

  clear(): void {
    this.entries.clear();
  }
}
