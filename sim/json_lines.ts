/**
 * A JSON parser (RFC 8259) that remembers the line of every value, and a reader of typed,
 * bounded fields over it, so the mistakes of a scenario (or of a node's config file) can be
 * reported as `file:line: path: what is wrong`. `JSON.parse` gives no positions for values.
 */
import { ErrorCode } from '../kernel/error_codes.js';
import { LatticeError } from '../kernel/errors.js';

/** A JSON syntax error, with its line and column. */
export class JsonSyntaxError extends LatticeError {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(ErrorCode.SCENARIO_SYNTAX, `line ${line}, column ${column}: ${message}`);
    this.name = 'JsonSyntaxError';
    this.line = line;
    this.column = column;
  }
}

/** The parsed value and the line of each value by its path ("", "nodes[0].id", …). */
export interface LocatedJson {
  readonly value: unknown;
  readonly lines: ReadonlyMap<string, number>;
}

/** Nesting depth a document may reach. */
const DEPTH_MAX = 64;

/** A document that does not parse or does not check. `errors` are `file:line: path: message`. */
export class JsonFileError extends LatticeError {
  readonly errors: readonly string[];
  constructor(code: ErrorCode, file: string, errors: readonly string[]) {
    super(
      code,
      `${file}: ${errors.length} error${errors.length === 1 ? '' : 's'}\n${errors.map((e) => `  ${e}`).join('\n')}`,
    );
    this.errors = errors;
  }
}

/** `parse_located`, a syntax error thrown as `fail(["file:line: message"])`. */
export function parse_located_file(text: string, file: string, fail: (errors: string[]) => Error): LocatedJson {
  try {
    return parse_located(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    throw fail([`${file}:${error.line}: ${error.message.replace(/^line \d+, /, '')}`]);
  }
}

export function parse_located(text: string): LocatedJson {
  let at = 0;
  let line = 1;
  let line_start = 0;
  const lines = new Map<string, number>();
  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, line, at - line_start + 1);
  };
  const space = (): void => {
    for (; at < text.length; at++) {
      const c = text.charCodeAt(at);
      if (c === 10) {
        line++;
        line_start = at + 1;
      } else if (c !== 32 && c !== 9 && c !== 13) {
        break;
      }
    }
  };
  const string = (): string => {
    const start = ++at;
    let out = '';
    let chunk = start;
    for (; at < text.length; at++) {
      const c = text.charCodeAt(at);
      if (c === 34) {
        out += text.slice(chunk, at);
        at++;
        return out;
      }
      if (c < 32) fail('control character in a string');
      if (c === 92) {
        out += text.slice(chunk, at);
        const e = text[++at];
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (e !== undefined && e in simple) out += simple[e];
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 1, at + 5))) {
          out += String.fromCharCode(parseInt(text.slice(at + 1, at + 5), 16));
          at += 4;
        } else fail(`bad escape '\\${e ?? ''}'`);
        chunk = at + 1;
      }
    }
    return fail('unterminated string');
  };
  const value = (path: string, depth: number): unknown => {
    if (depth > DEPTH_MAX) fail(`nested deeper than ${DEPTH_MAX}`);
    space();
    lines.set(path, line);
    const c = text[at];
    if (c === '{') {
      at++;
      const obj: Record<string, unknown> = {};
      space();
      if (text[at] === '}') {
        at++;
        return obj;
      }
      for (;;) {
        space();
        if (text[at] !== '"') fail('expected a property name in double quotes');
        const key = string();
        space();
        if (text[at] !== ':') fail(`expected ':' after "${key}"`);
        at++;
        if (Object.hasOwn(obj, key)) fail(`duplicate property "${key}"`);
        obj[key] = value(path === '' ? key : `${path}.${key}`, depth + 1);
        space();
        if (text[at] === ',') {
          at++;
          continue;
        }
        if (text[at] === '}') {
          at++;
          return obj;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      at++;
      const arr: unknown[] = [];
      space();
      if (text[at] === ']') {
        at++;
        return arr;
      }
      for (;;) {
        arr.push(value(`${path}[${arr.length}]`, depth + 1));
        space();
        if (text[at] === ',') {
          at++;
          continue;
        }
        if (text[at] === ']') {
          at++;
          return arr;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    const m = /^(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)/.exec(text.slice(at, at + 64));
    if (m === null) return fail(c === undefined ? 'unexpected end of input' : `unexpected '${c}'`);
    at += m[0].length;
    if (m[0] === 'true') return true;
    if (m[0] === 'false') return false;
    if (m[0] === 'null') return null;
    return Number(m[0]);
  };
  const result = value('', 0);
  space();
  if (at < text.length) fail('unexpected text after the document');
  return { value: result, lines };
}

/** A JSON object, as read. */
export type Json = Record<string, unknown>;

/**
 * Reads the fields of a located document with their types and bounds, collecting every error as
 * `file:line: path: message` (the line of the nearest enclosing value that has one).
 */
export class JsonReader {
  readonly errors: string[] = [];
  constructor(
    private readonly file: string,
    private readonly lines: ReadonlyMap<string, number>,
  ) {}

  error(path: string, message: string): void {
    let line = this.lines.get(path);
    for (let p = path; line === undefined && p.length > 0; ) {
      p = p.includes('.') || p.includes('[') ? p.replace(/(\.[^.[\]]*|\[\d+\])$/, '') : '';
      line = this.lines.get(p);
    }
    this.errors.push(`${this.file}:${line ?? 1}: ${path === '' ? '(document)' : path}: ${message}`);
  }

  object(value: unknown, path: string, allowed: readonly string[]): Json | null {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.error(path, `must be an object, got ${describe(value)}`);
      return null;
    }
    for (const key of Object.keys(value))
      if (!allowed.includes(key)) this.error(join(path, key), `unknown field (allowed: ${allowed.join(', ')})`);
    return value as Json;
  }

  number(obj: Json, key: string, path: string, lo: number, hi: number, fallback?: number, integer = false): number {
    const v = obj[key];
    const p = join(path, key);
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      this.error(p, 'is required');
      return lo;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.error(p, `must be a number, got ${describe(v)}`);
      return fallback ?? lo;
    }
    if (integer && !Number.isInteger(v)) this.error(p, `must be an integer, got ${v}`);
    if (v < lo || v > hi) this.error(p, `must be in [${lo}, ${hi}], got ${v}`);
    return v;
  }

  int(obj: Json, key: string, path: string, lo: number, hi: number, fallback?: number): number {
    return this.number(obj, key, path, lo, hi, fallback, true);
  }

  string(obj: Json, key: string, path: string, fallback?: string): string {
    const v = obj[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'string') {
      this.error(join(path, key), v === undefined ? 'is required' : `must be a string, got ${describe(v)}`);
      return fallback ?? '';
    }
    return v;
  }

  choice<T extends string>(obj: Json, key: string, path: string, choices: readonly T[], fallback?: T): T {
    const v = obj[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
      this.error(
        join(path, key),
        v === undefined
          ? `is required (one of ${choices.join(', ')})`
          : `must be one of ${choices.join(', ')}, got ${describe(v)}`,
      );
      return fallback ?? choices[0]!;
    }
    return v as T;
  }

  bool(obj: Json, key: string, path: string, fallback: boolean): boolean {
    const v = obj[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') {
      this.error(join(path, key), `must be true or false, got ${describe(v)}`);
      return fallback;
    }
    return v;
  }

  array(obj: Json, key: string, path: string, required = true): unknown[] {
    const v = obj[key];
    if (v === undefined && !required) return [];
    if (!Array.isArray(v)) {
      this.error(join(path, key), v === undefined ? 'is required' : `must be an array, got ${describe(v)}`);
      return [];
    }
    return v;
  }
}

/** The path of `key` inside `path` ("" is the document). */
export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** A value as an error message shows it. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return JSON.stringify(v);
}
