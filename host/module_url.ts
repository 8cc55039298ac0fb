/**
 * Where a module beside this one is, in sources and in the compiled package alike.
 *
 * From a clone, the sources run as TypeScript (through tsx) and a worker or process module is a
 * `.ts` file; in the installed package they are compiled `.js` files under `dist/`. A module
 * names its neighbours without an extension and gets its own: so `new URL('./core_worker.ts', …)`
 * never points at a file the package does not ship.
 */

/** The URL of module `path` (relative, without extension) beside `base` (an `import.meta.url`), with `base`'s extension. */
export function module_beside(path: string, base: string): URL {
  const extension = new URL(base).pathname.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`${path}${extension}`, base);
}
