import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../kernel/assert.js';
import { ErrorCode, is_error_code } from '../../kernel/error_codes.js';
import { ConfigError, LatticeError, StatusError, status_code } from '../../kernel/errors.js';
import { Status } from '../../kernel/status.js';
import { BulkError } from '../../gpu/errors.js';
import { NetSystemError } from '../../net/driver.js';
import { UsageError } from '../../host/cli/command.js';
import { NoAdapterError } from '../../host/gpu/node_webgpu.js';
import { JsonSyntaxError } from '../../sim/json_lines.js';
import { ScenarioError } from '../../sim/scenario.js';
import { SimViolation } from '../../sim/violation.js';
import { NodeConfigError } from '../../host/cli/node_config.js';

const api_md = readFileSync(new URL('../../docs/API.md', import.meta.url), 'utf8');

describe('the error-code registry', () => {
  it('lists every code once, and docs/API.md names every one', () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    const missing = codes.filter((code) => !api_md.includes(`\`${code}\``));
    expect(missing).toEqual([]);
    for (const code of codes) expect(code).toMatch(/^ERR_LATTICE_[A-Z0-9_]+$/);
  });

  it('has a code for every failing status, and StatusError uses it', () => {
    for (const [name, value] of Object.entries(Status)) {
      if (value === Status.OK) continue;
      const code = status_code(value);
      expect(code).toBe(`ERR_LATTICE_${name}`);
      expect(is_error_code(code)).toBe(true);
      expect(new StatusError(value).code).toBe(code);
    }
    expect(() => status_code(Status.OK)).toThrow(RangeError);
  });

  it('every error class is a LatticeError with a registered code', () => {
    const errors: LatticeError[] = [
      new ConfigError(ErrorCode.BAD_GEOMETRY, 'x'),
      new StatusError(Status.BACKPRESSURE),
      new AssertionError('x'),
      new BulkError(ErrorCode.WGSL, 'x'),
      new NetSystemError('EPIPE', 'write', 2),
      new UsageError('x'),
      new NoAdapterError(['none']),
      new JsonSyntaxError('x', 1, 1),
      new ScenarioError('f.json', ['x']),
      new NodeConfigError('f.json', ['x']),
      new SimViolation('fifo', 'x', 0),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(LatticeError);
      expect(is_error_code(error.code)).toBe(true);
    }
    expect(is_error_code('ERR_LATTICE_BAD_CONFIG')).toBe(false);
  });
});
