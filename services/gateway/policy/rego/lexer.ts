/**
 * Tokeniser for Rego source. Keywords come out as identifiers (Rego v1 lets most keywords appear inside
 * refs, such as `foo.if`), and each token records whether whitespace or a newline preceded it: newlines
 * separate body literals, and `[`, `(` and `.` only continue a ref or call when nothing separates them.
 */
import { RegoError, type Location } from "./errors.js";

/** Token kinds. */
export type TokenKind = "ident" | "number" | "string" | "template" | "punct" | "eof";

/** A piece of a template string: literal text or the source of an embedded expression. */
export type TemplatePart =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "expr"; readonly src: string; readonly line: number; readonly col: number };

/** A token. */
export interface Token {
  /** Kind of token. */
  readonly kind: TokenKind;
  /** Source text (for punctuation and identifiers: the token itself). */
  readonly text: string;
  /** Decoded value of a string literal. */
  readonly value?: string;
  /** Whether the string literal was raw (backquoted). */
  readonly raw?: boolean;
  /** Parts of a template string. */
  readonly parts?: readonly TemplatePart[];
  /** Position. */
  readonly loc: Location;
  /** Character offset in the source. */
  readonly offset: number;
  /** Offset just past the token. */
  readonly end: number;
  /** Whitespace or a comment directly precedes the token. */
  readonly spaceBefore: boolean;
  /** A newline precedes the token (since the previous token). */
  readonly newlineBefore: boolean;
}

const PUNCT2 = [":=", "==", "!=", "<=", ">="];
const PUNCT1 = "<>=+-*/%&|.,;:()[]{}";

/** Options of the lexer. */
export interface LexOptions {
  /** File name for locations. */
  readonly file: string;
  /** Line of the first character (for embedded template expressions). */
  readonly line?: number;
  /** Column of the first character. */
  readonly col?: number;
}

/** Splits `src` into tokens; the last token is `eof`. */
export function tokenize(src: string, options: LexOptions): Token[] {
  const file = options.file;
  const tokens: Token[] = [];
  let i = 0;
  let line = options.line ?? 1;
  let lineStart = -((options.col ?? 1) - 1);
  let space = false;
  let newline = false;
  const loc = (at: number): Location => ({ file, line, col: at - lineStart + 1 });
  const fail = (msg: string, at: number): never => {
    throw new RegoError("rego_parse_error", msg, loc(at));
  };
  const push = (kind: TokenKind, start: number, end: number, startLoc: Location, extra?: Partial<Token>): void => {
    tokens.push({
      kind,
      text: src.slice(start, end),
      loc: startLoc,
      offset: start,
      end,
      spaceBefore: space,
      newlineBefore: newline,
      ...extra,
    });
    space = false;
    newline = false;
  };
  while (i < src.length) {
    const c = src[i] as string;
    if (c === "\n") {
      i++;
      line++;
      lineStart = i;
      space = true;
      newline = true;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      space = true;
      continue;
    }
    if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++;
      space = true;
      continue;
    }
    const start = i;
    const startLoc = loc(i);
    if (isIdentStart(c)) {
      while (i < src.length && isIdentPart(src[i] as string)) i++;
      push("ident", start, i, startLoc);
      continue;
    }
    if (isDigit(c)) {
      i = scanNumber(src, i, fail);
      push("number", start, i, startLoc);
      continue;
    }
    if (c === '"') {
      const [value, end] = scanString(src, i, fail);
      i = end;
      push("string", start, i, startLoc, { value });
      continue;
    }
    if (c === "`") {
      const close = src.indexOf("`", i + 1);
      if (close < 0) fail("non-terminated raw string", i);
      const value = src.slice(i + 1, close);
      for (let j = i; j < close; j++) {
        if (src[j] === "\n") {
          line++;
          lineStart = j + 1;
        }
      }
      i = close + 1;
      push("string", start, i, startLoc, { value, raw: true });
      continue;
    }
    if (c === "$" && (src[i + 1] === '"' || src[i + 1] === "`")) {
      const state = { line, lineStart };
      const [parts, end] = scanTemplate(src, i + 1, state, fail);
      line = state.line;
      lineStart = state.lineStart;
      i = end;
      push("template", start, i, startLoc, { parts, raw: src[start + 1] === "`" });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (PUNCT2.includes(two)) {
      i += 2;
      push("punct", start, i, startLoc);
      continue;
    }
    if (PUNCT1.includes(c)) {
      i++;
      push("punct", start, i, startLoc);
      continue;
    }
    fail(`illegal token: ${JSON.stringify(c)}`, i);
  }
  push("eof", i, i, loc(i));
  return tokens;
}

function isIdentStart(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
}

function isIdentPart(c: string): boolean {
  return isIdentStart(c) || isDigit(c);
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

function scanNumber(src: string, i: number, fail: (msg: string, at: number) => never): number {
  const start = i;
  while (i < src.length && isDigit(src[i] as string)) i++;
  if (src[i] === "." && isDigit(src[i + 1] ?? "")) {
    i++;
    while (i < src.length && isDigit(src[i] as string)) i++;
  }
  if (src[i] === "e" || src[i] === "E") {
    let j = i + 1;
    if (src[j] === "+" || src[j] === "-") j++;
    if (isDigit(src[j] ?? "")) {
      i = j;
      while (i < src.length && isDigit(src[i] as string)) i++;
    }
  }
  if (isIdentStart(src[i] ?? " ")) fail("illegal number format", start);
  return i;
}

const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** Decodes the escape sequence at `j` (a backslash); returns the text and the sequence's length. */
function decodeEscape(src: string, j: number, fail: (msg: string, at: number) => never): [string, number] {
  const e = src[j + 1] ?? "";
  if (e === "u") {
    const hex = src.slice(j + 2, j + 6);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("illegal escape sequence", j);
    return [String.fromCharCode(parseInt(hex, 16)), 6];
  }
  const mapped = ESCAPES[e];
  if (mapped === undefined) fail("illegal escape sequence", j);
  return [mapped as string, 2];
}

/** Scans a double-quoted string starting at `i` (the quote); returns the decoded value and the end offset. */
function scanString(src: string, i: number, fail: (msg: string, at: number) => never): [string, number] {
  let out = "";
  let j = i + 1;
  for (;;) {
    const c = src[j];
    if (c === undefined || c === "\n") fail("non-terminated string", i);
    if (c === '"') return [out, j + 1];
    if (c === "\\") {
      const [decoded, len] = decodeEscape(src, j, fail);
      out += decoded;
      j += len;
      continue;
    }
    out += c;
    j++;
  }
}

/**
 * Scans a template string (`$"..."` or `` $`...` ``) whose opening quote is at `i`. Literal text and the
 * sources of `{...}` expressions come back as parts; `\{` is a literal brace.
 */
function scanTemplate(
  src: string,
  i: number,
  state: { line: number; lineStart: number },
  fail: (msg: string, at: number) => never,
): [TemplatePart[], number] {
  const quote = src[i] as string;
  const raw = quote === "`";
  const parts: TemplatePart[] = [];
  let text = "";
  let j = i + 1;
  for (;;) {
    const c = src[j];
    if (c === undefined || (!raw && c === "\n")) fail("non-terminated template string", i);
    if (c === quote) {
      if (text !== "") parts.push({ kind: "text", text });
      return [parts, j + 1];
    }
    if (c === "\n") {
      state.line++;
      state.lineStart = j + 1;
    }
    if (c === "\\" && src[j + 1] === "{") {
      text += "{";
      j += 2;
      continue;
    }
    if (!raw && c === "\\") {
      const [decoded, len] = decodeEscape(src, j, fail);
      text += decoded;
      j += len;
      continue;
    }
    if (c === "{") {
      if (text !== "") parts.push({ kind: "text", text });
      text = "";
      const exprStart = j + 1;
      const line = state.line;
      const col = exprStart - state.lineStart + 1;
      let depth = 1;
      let k = exprStart;
      while (depth > 0) {
        const d = src[k];
        if (d === undefined) fail("non-terminated template expression", j);
        if (d === "{") depth++;
        else if (d === "}") depth--;
        else if (d === '"') {
          k = scanString(src, k, fail)[1];
          continue;
        } else if (d === "`") {
          const close = src.indexOf("`", k + 1);
          if (close < 0) fail("non-terminated raw string", k);
          k = close + 1;
          continue;
        } else if (d === "\n") {
          state.line++;
          state.lineStart = k + 1;
        }
        k++;
      }
      parts.push({ kind: "expr", src: src.slice(exprStart, k - 1), line, col });
      j = k;
      continue;
    }
    text += c;
    j++;
  }
}
