/** The growth step of the simulator's typed record arrays: a copy `length` long (default twice), contents first. */
export function grown<T extends Float64Array | Int32Array | Uint16Array | Uint8Array>(
  array: T,
  length = array.length * 2,
): T {
  const next = new (array.constructor as new (n: number) => T)(length);
  (next as Float64Array).set(array as Float64Array);
  return next;
}
