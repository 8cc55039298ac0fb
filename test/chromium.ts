// Debian's headless Chromium (installed by .ci/run) for the tests that look at a page: the HTML
// report, and the bulk path on the browser's own WebGPU. Missing, those tests are skipped, except
// with LATTICE_REQUIRE_CHROMIUM=1 (set by .ci/run): then they fail.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = '/usr/bin/chromium';
export const chromium_available = existsSync(CHROMIUM);
if (process.env.LATTICE_REQUIRE_CHROMIUM === '1' && !chromium_available) {
  throw new Error(`LATTICE_REQUIRE_CHROMIUM=1 but ${CHROMIUM} is missing (.ci/run installs Debian's chromium)`);
}

/** Headless, no sandbox (CI runs as root), nothing fetched, a profile in `dir`. */
function base_flags(dir: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${join(dir, 'profile')}`,
  ];
}

/** Runs headless Chromium with `args` (a profile in `dir`, nothing fetched); returns its stdout. */
export function chromium(dir: string, args: readonly string[], timeout_ms = 60_000): string {
  return execFileSync(CHROMIUM, [...base_flags(dir), ...args], {
    encoding: 'utf8',
    timeout: timeout_ms,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

/** How often `chromium_evaluate` looks whether the page has loaded, ms. */
const LOAD_POLL_MS = 20;

/**
 * Opens `url` in headless Chromium and evaluates `expression` in the page through the DevTools
 * protocol over a pipe (no port), awaiting the promise it gives; resolves to its JSON value. Used
 * where the page's work is asynchronous on something virtual time does not cover (the GPU).
 */
export async function chromium_evaluate(
  dir: string,
  url: string,
  expression: string,
  extra_flags: readonly string[] = [],
  timeout_ms = 120_000,
): Promise<unknown> {
  const flags = [...base_flags(dir), '--remote-debugging-pipe', ...extra_flags, url];
  const child = spawn(CHROMIUM, flags, { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
  const to_browser = child.stdio[3] as Writable;
  const from_browser = child.stdio[4] as Readable;
  const waiting = new Map<number, { resolve(value: Record<string, unknown>): void; reject(error: Error): void }>();
  let next_id = 1;
  let pending = '';
  from_browser.setEncoding('utf8');
  from_browser.on('data', (chunk: string) => {
    pending += chunk;
    for (let end = pending.indexOf('\0'); end >= 0; end = pending.indexOf('\0')) {
      const message = JSON.parse(pending.slice(0, end)) as {
        id?: number;
        result?: Record<string, unknown>;
        error?: { message: string };
      };
      pending = pending.slice(end + 1);
      const w = message.id === undefined ? undefined : waiting.get(message.id);
      if (w === undefined) continue;
      waiting.delete(message.id!);
      if (message.error !== undefined) w.reject(new Error(`DevTools: ${message.error.message}`));
      else w.resolve(message.result ?? {});
    }
  });
  const send = (method: string, params: Record<string, unknown>, session?: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = next_id++;
      waiting.set(id, { resolve, reject });
      to_browser.write(
        `${JSON.stringify({ id, method, params, ...(session === undefined ? {} : { sessionId: session }) })}\0`,
      );
    });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`chromium exited (${code}) before answering`))),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout_ms);
  try {
    const work = (async () => {
      let page: { targetId: string } | undefined;
      while (page === undefined) {
        const { targetInfos } = (await send('Target.getTargets', {})) as {
          targetInfos: { targetId: string; type: string }[];
        };
        page = targetInfos.find((t) => t.type === 'page');
      }
      const { sessionId } = (await send('Target.attachToTarget', { targetId: page.targetId, flatten: true })) as {
        sessionId: string;
      };
      // The page target exists before `url` has loaded (it may still be about:blank): wait until
      // the document is `url` and complete, so the expression sees what its scripts defined.
      const loaded = `location.href === ${JSON.stringify(url)} && document.readyState === 'complete'`;
      for (;;) {
        const probe = (await send('Runtime.evaluate', { expression: loaded, returnByValue: true }, sessionId).catch(
          () => null,
        )) as { result?: { value?: unknown } } | null;
        if (probe?.result?.value === true) break;
        await new Promise((resolve) => setTimeout(resolve, LOAD_POLL_MS));
      }
      const evaluated = (await send(
        'Runtime.evaluate',
        { expression, awaitPromise: true, returnByValue: true },
        sessionId,
      )) as { result: { value?: unknown }; exceptionDetails?: { text: string; exception?: { description?: string } } };
      if (evaluated.exceptionDetails !== undefined)
        throw new Error(
          `page threw: ${evaluated.exceptionDetails.exception?.description ?? evaluated.exceptionDetails.text}`,
        );
      return evaluated.result.value;
    })();
    return await Promise.race([work, exited]);
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  }
}
