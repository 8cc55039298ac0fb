/**
 * The package's version, for `lattice --version`: read from the package.json of `lattice-ipc`,
 * two folders up in a clone (host/cli/) and three in the installed package (dist/host/cli/).
 */
import { readFileSync } from 'node:fs';

export function package_version(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const json = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (json.name === 'lattice-ipc' && typeof json.version === 'string') return json.version;
    } catch {
      // Not this one.
    }
  }
  return 'unknown';
}
