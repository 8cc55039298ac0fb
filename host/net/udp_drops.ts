/**
 * Datagrams the operating system dropped at one UDP socket (Node on Linux only).
 *
 * A UDP socket whose receive buffer is full drops what arrives next inside the kernel, before any
 * process sees it. Linux counts those drops per socket in the last column (`drops`) of
 * `/proc/net/udp` and `/proc/net/udp6` (see the kernel's `net/ipv4/udp.c`, `udp4_format_sock`):
 *
 *   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 *    0: 0100007F:A2C4 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 81234 2 0000… 17
 *
 * `local_address` is the address as 32-bit words printed in host byte order, then the port, in
 * hexadecimal. A socket is found by its bound address and port (the transport binds them
 * exclusively, so no other socket shares both). Elsewhere (another OS, no `/proc`), the count is
 * unknown: `null`.
 */
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

/** The 4 or 16 bytes of a numeric IPv4 or IPv6 address, or null if `address` is neither. */
export function address_bytes(address: string): Uint8Array | null {
  const v4 = ipv4_bytes(address);
  if (v4 !== null) return v4;
  const zone = address.indexOf('%');
  const text = zone < 0 ? address : address.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const words = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const groups = part.split(':');
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i]!;
      if (i === groups.length - 1 && group.includes('.')) {
        const tail = ipv4_bytes(group);
        if (tail === null) return null;
        out.push((tail[0]! << 8) | tail[1]!, (tail[2]! << 8) | tail[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
        out.push(Number.parseInt(group, 16));
      }
    }
    return out;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    bytes[2 * i] = all[i]! >> 8;
    bytes[2 * i + 1] = all[i]! & 0xff;
  }
  return bytes;
}

function ipv4_bytes(address: string): Uint8Array | null {
  const parts = address.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return Uint8Array.from(parts.map(Number));
}

/**
 * `local_address` as `/proc/net/udp{,6}` prints it for `address:port`: each 32-bit word of the
 * address in the byte order `order`, as 8 upper-case hex digits, then `:` and the port in 4.
 */
export function proc_local_address(address: Uint8Array, port: number, order: 'LE' | 'BE'): string {
  let text = '';
  for (let word = 0; word < address.length; word += 4) {
    const bytes = address.subarray(word, word + 4);
    const ordered = order === 'LE' ? [bytes[3]!, bytes[2]!, bytes[1]!, bytes[0]!] : [...bytes];
    for (const byte of ordered) text += byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return `${text}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The `drops` column of the row for `local` in a `/proc/net/udp{,6}` table, or null if no row has it. */
export function drops_in_table(table: string, local: string): number | null {
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 13 || fields[1] !== local) continue;
    const drops = Number(fields[12]);
    return Number.isSafeInteger(drops) ? drops : null;
  }
  return null;
}

/**
 * Datagrams the OS has dropped at the UDP socket bound to `address:port` since it was opened,
 * or null where that cannot be read. Reads a small `/proc` file: call it for stats, not per packet.
 */
export function udp_socket_drops(address: string, port: number): number | null {
  const bytes = address_bytes(address);
  if (bytes === null) return null;
  const path = bytes.length === 4 ? '/proc/net/udp' : '/proc/net/udp6';
  let table: string;
  try {
    table = readFileSync(path, 'latin1');
  } catch {
    return null;
  }
  return drops_in_table(table, proc_local_address(bytes, port, endianness()));
}
