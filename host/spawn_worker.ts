/**
 * Starts a worker thread from a TypeScript or JavaScript entry module.
 *
 * Node 20 workers ignore `--import tsx` in `execArgv`, so a `.ts` entry is started through a
 * tiny inline ESM bootstrap that registers tsx's loader in the worker and then imports the
 * entry (the recipe in ../shared/NOTES.md, checked on this machine). A `.js` entry, as in
 * compiled output, is passed to `Worker` directly.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function spawn_worker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const source =
    `import { register } from ${JSON.stringify(tsx)};\n` +
    `register();\n` +
    `await import(${JSON.stringify(entry.href)});\n`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), options);
}
