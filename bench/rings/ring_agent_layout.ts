/** Word offsets of the ring-protocol experiment's shared buffer (ring_agent.ts). */
export const TAIL = 0;
export const HEAD = 32;
export const PUBLISH = 64;
export const CAPACITY = 1024;
/** Word index of slot 0: after the publish array of CAPACITY words. */
export const SLOTS = PUBLISH + CAPACITY;
export const SLOT_WORDS = 32;
export const RING_PROTOCOL_BYTES = (SLOTS + CAPACITY * SLOT_WORDS) * 4;
