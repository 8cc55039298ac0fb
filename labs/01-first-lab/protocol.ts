/**
 * Lab 01's protocol: what the name server's requests and replies look like.
 *
 * A request is a `call` whose `m_type` says what to do. The name travels in the inline payload
 * (at most 32 bytes of UTF-8); the number travels in `aux0`.
 */
import type { Message } from '../../kernel/message.js';

/** Request types (the client's `m_type`). */
export const REGISTER = 1;
export const LOOKUP = 2;
/** Exercise 2 adds this one. */
export const UNREGISTER = 3;
/** Sent (not called) by the lab to stop the server. */
export const SHUTDOWN = 9;

/** Reply types (the server's `m_type`). */
export const DONE = 100;
export const NOT_FOUND = 101;
export const REFUSED = 102;
export const UNKNOWN_REQUEST = 103;

/** Names are at most this many UTF-8 bytes. */
export const NAME_BYTES_MAX = 32;

/** Puts `name` into `m`'s payload. */
export function put_name(m: Message, name: string): void {
  const bytes = new TextEncoder().encode(name);
  if (bytes.length > NAME_BYTES_MAX) throw new RangeError(`name '${name}' is over ${NAME_BYTES_MAX} bytes`);
  m.set_payload(bytes);
}

/** Reads the name from `m`'s payload. */
export function get_name(m: Message): string {
  return new TextDecoder().decode(m.payload.subarray(0, Math.min(m.length, NAME_BYTES_MAX)));
}
