/**
 * A JSON parser (RFC 8259) that remembers the line of every value, so a scenario's mistakes can
 * be reported as `file:line: path: what is wrong`. `JSON.parse` gives no positions for values.
 */
import { LatticeError } from '../kernel/errors.js';

/** A JSON syntax error, with its line and column. */
export class JsonSyntaxError extends LatticeError {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super('ERR_LATTICE_SCENARIO_SYNTAX', `line ${line}, column ${column}: ${message}`);
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
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
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
        if (Object.prototype.hasOwnProperty.call(obj, key)) fail(`duplicate property "${key}"`);
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
