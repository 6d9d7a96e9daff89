/**
 * Recursive-descent parser for Rego v1 modules and queries, following OPA's grammar: operator precedence
 * (`in` < relations < `|` < `&` < `+ -` < `* / %`), comprehension heads preferred over `|` unions, refs and
 * calls only when `.`, `[` or `(` touch the previous token, keywords allowed inside refs, literals separated
 * by newlines or `;`. With `import future.keywords.and` / `.or` the experimental `and` / `or` literal
 * operators (with `{ ... }` operand groups) are recognised too.
 */
import type {
  Body,
  CallTerm,
  ElseClause,
  Expr,
  ExprBody,
  Import,
  Module,
  RefTerm,
  Rule,
  Term,
  VarTerm,
  With,
} from "./ast.js";
import { RegoError, type Location } from "./errors.js";
import { tokenize, type Token } from "./lexer.js";

const KEYWORDS = new Set([
  "package",
  "import",
  "as",
  "default",
  "else",
  "not",
  "some",
  "with",
  "if",
  "contains",
  "every",
  "in",
  "true",
  "false",
  "null",
]);

const RELATION_OPS: Record<string, string> = { "==": "equal", "!=": "neq", "<": "lt", ">": "gt", "<=": "lte", ">=": "gte" };
const ARITH_OPS: Record<string, string> = { "+": "plus", "-": "minus" };
const FACTOR_OPS: Record<string, string> = { "*": "mul", "/": "div", "%": "rem" };
const MAX_DEPTH = 400;

/** Parses a module. Throws a `rego_parse_error` RegoError with file:line:col on bad syntax. */
export function parseModule(src: string, file: string): Module {
  return new Parser(tokenize(src, { file })).module();
}

/** Parses a query (a body), e.g. `data.pkg.p = x`. */
export function parseQuery(src: string, file = "query"): Body {
  const p = new Parser(tokenize(src, { file }));
  return p.topQuery();
}

/** Parses a single term, e.g. an `input_term`. */
export function parseTerm(src: string, file = "term"): Term {
  const p = new Parser(tokenize(src, { file }));
  return p.topTerm();
}

class Parser {
  private i = 0;
  private depth = 0;
  private logicOps = false;

  constructor(private readonly toks: Token[]) {}

  // ---- token helpers ----

  private get tok(): Token {
    return this.toks[this.i] as Token;
  }

  private peek(n = 1): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.tok;
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }

  private isPunct(text: string, t: Token = this.tok): boolean {
    return t.kind === "punct" && t.text === text;
  }

  private isIdent(text: string, t: Token = this.tok): boolean {
    return t.kind === "ident" && t.text === text;
  }

  /** A keyword token in this module (the logic operators only once imported). */
  private isKeyword(t: Token = this.tok): boolean {
    return t.kind === "ident" && (KEYWORDS.has(t.text) || (this.logicOps && (t.text === "and" || t.text === "or")));
  }

  /** A keyword directly followed by `.` or `[`: then it is the head of a ref, not a keyword. */
  private keywordStartsRef(): boolean {
    const n = this.peek();
    return this.isKeyword() && !n.spaceBefore && (this.isPunct(".", n) || this.isPunct("[", n));
  }

  private fail(msg: string, t: Token = this.tok): never {
    throw new RegoError("rego_parse_error", msg, t.loc);
  }

  private unexpected(note?: string): never {
    const t = this.tok;
    const what = t.kind === "eof" ? "eof token" : this.isKeyword(t) ? `${t.text} keyword` : `${t.text} token`;
    this.fail(note === undefined ? `unexpected ${what}` : `unexpected ${what}: ${note}`);
  }

  private expectPunct(text: string): Token {
    if (!this.isPunct(text)) this.unexpected(`expected ${text}`);
    return this.next();
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail("max expression depth exceeded");
  }

  private leave(): void {
    this.depth--;
  }

  /** Runs `f`; on a parse error restores the position and returns undefined. */
  private attempt<T>(f: () => T): T | undefined {
    const save = this.i;
    const depth = this.depth;
    try {
      return f();
    } catch (err) {
      if (!(err instanceof RegoError)) throw err;
      this.i = save;
      this.depth = depth;
      return undefined;
    }
  }

  // ---- modules ----

  module(): Module {
    const pkgTok = this.tok;
    if (!this.isIdent("package")) this.fail("package expected");
    this.next();
    const pkg = this.packagePath();
    const imports: Import[] = [];
    while (this.isIdent("import") && !this.keywordStartsRef()) imports.push(this.importDecl());
    const rules: Rule[] = [];
    while (this.tok.kind !== "eof") rules.push(...this.rules());
    return { file: pkgTok.loc.file, pkg, pkgLoc: pkgTok.loc, imports, rules };
  }

  private packagePath(): string[] {
    if (this.tok.kind !== "ident") this.unexpected("expected package path");
    const path = [this.next().text];
    for (;;) {
      if (this.isPunct(".") && !this.tok.spaceBefore) {
        this.next();
        if (this.tok.kind !== "ident") this.unexpected("expected ident");
        path.push(this.next().text);
      } else if (this.isPunct("[") && !this.tok.spaceBefore) {
        this.next();
        const t = this.tok;
        if (t.kind !== "string") this.fail("unexpected non-string package path element", t);
        path.push(t.value as string);
        this.next();
        this.expectPunct("]");
      } else {
        return path;
      }
    }
  }

  private importDecl(): Import {
    const loc = this.next().loc;
    if (this.tok.kind !== "ident") this.unexpected("expected import path");
    const head = this.varTerm();
    const path = this.refSuffix(head, true);
    if (path.type !== "var" && path.type !== "ref") this.fail("invalid import path");
    let alias: string | undefined;
    if (this.isIdent("as")) {
      this.next();
      if (this.tok.kind !== "ident" || this.isKeyword()) this.unexpected("expected var");
      alias = this.next().text;
    }
    const steps = path.type === "ref" ? path.path : [];
    const root = (path.type === "ref" ? path.head : path) as VarTerm;
    if (root.name === "future") {
      const kw = steps[1];
      const all = steps.length === 1;
      const name = kw?.type === "scalar" ? kw.value : undefined;
      if (all || name === "and" || name === "or" || name === "not") this.logicOps = true;
    }
    if (!["data", "input", "future", "rego"].includes(root.name)) {
      throw new RegoError(
        "rego_parse_error",
        `unexpected import path, must begin with one of: {data, future, input, rego}, got: ${root.name}`,
        loc,
      );
    }
    return { path: path as RefTerm | VarTerm, alias, loc };
  }

  // ---- rules ----

  private rules(): Rule[] {
    const loc = this.tok.loc;
    let isDefault = false;
    if (this.isIdent("default") && !this.keywordStartsRef()) {
      this.next();
      isDefault = true;
    }
    if (this.tok.kind !== "ident") this.unexpected();
    const head = this.ruleHeadRef();
    let ref: Term[];
    let args: Term[] | undefined;
    if (head.type === "call") {
      ref = refToPath(head.operator);
      args = [...head.args];
    } else {
      ref = refToPath(head);
    }
    let kind: "single" | "multi" = "single";
    let key: Term | undefined;
    let value: Term | undefined;
    if (this.isIdent("contains")) {
      if (args !== undefined) this.fail("the contains keyword can only be used with multi-value rule definitions");
      this.next();
      kind = "multi";
      key = this.termInfixCall();
    } else if (this.isPunct("=") || this.isPunct(":=")) {
      this.next();
      value = this.termInfixCall();
    }
    if (isDefault) {
      if (value === undefined) this.fail("illegal default rule (must have a value)");
      return [{ ref, args, kind, key, value, isDefault, body: [], elses: [], loc }];
    }
    const hasIf = this.isIdent("if") && !this.keywordStartsRef();
    if (kind === "single" && ref.length === 2 && !hasIf && value === undefined && args === undefined) {
      // `p[x]` without `if` is the legacy partial-set form.
      kind = "multi";
      key = ref[1];
      ref = ref.slice(0, 1);
    }
    let body: Body;
    if (hasIf) {
      this.next();
      body = this.ifBody();
    } else if (this.isPunct("{")) {
      this.fail("`if` keyword is required before rule body");
    } else if (kind === "multi" || value !== undefined || ref.length > 1 || args !== undefined) {
      body = [];
    } else {
      this.unexpected("expected rule body or value");
    }
    const elses: ElseClause[] = [];
    while (this.isIdent("else") && !this.keywordStartsRef()) {
      if (kind === "multi") this.fail("else keyword cannot be used on multi-value rules");
      elses.push(this.elseClause());
    }
    const rules: Rule[] = [{ ref, args, kind, key, value, isDefault, body, elses, loc }];
    while (this.isPunct("{") && elses.length === 0 && !this.tok.newlineBefore) {
      this.next();
      const extra = this.query("}");
      this.expectPunct("}");
      rules.push({ ref, args, kind, key, value, isDefault, body: extra, elses: [], loc });
    }
    return rules;
  }

  /** A rule head: `name`, `a.b[x]`, `f(x)`, `a.b.f(x)`. */
  private ruleHeadRef(): RefTerm | VarTerm | CallTerm {
    const head = this.varTerm();
    const t = this.refSuffix(head, false);
    if (t.type !== "var" && t.type !== "ref" && t.type !== "call") this.fail("invalid rule head");
    return t;
  }

  /** After `if`: one literal, or `{ body }`. */
  private ifBody(): Body {
    if (this.isPunct("{")) {
      const asLiteral = this.attempt(() => {
        const e = this.literal();
        if (e.kind === "term" && e.term.type === "set") throw new RegoError("rego_parse_error", "set literal", e.loc);
        if (e.kind === "term" && e.term.type === "object" && e.term.entries.length === 0) {
          throw new RegoError("rego_parse_error", "empty body", e.loc);
        }
        if (!this.endsLiteral()) throw new RegoError("rego_parse_error", "trailing tokens", this.tok.loc);
        return e;
      });
      if (asLiteral !== undefined) return [asLiteral];
      this.next();
      const body = this.query("}");
      this.expectPunct("}");
      return body;
    }
    return [this.literal()];
  }

  /** Whether the current token ends a one-literal body. */
  private endsLiteral(): boolean {
    return this.tok.kind === "eof" || this.tok.newlineBefore || this.isIdent("else") || this.isPunct("}") || this.isPunct(";");
  }

  private elseClause(): ElseClause {
    const loc = this.next().loc;
    let value: Term | undefined;
    if (this.isPunct("=") || this.isPunct(":=")) {
      this.next();
      value = this.termInfixCall();
    } else if (!this.isIdent("if") && !this.isPunct("{")) {
      this.unexpected("expected else value term or rule body");
    }
    let body: Body = [];
    if (this.isIdent("if")) {
      this.next();
      body = this.ifBody();
    } else if (this.isPunct("{")) {
      this.next();
      body = this.query("}");
      this.expectPunct("}");
    }
    return { value, body, loc };
  }

  // ---- queries and literals ----

  topQuery(): Body {
    const body = this.query("eof");
    if (this.tok.kind !== "eof") this.unexpected();
    return body;
  }

  topTerm(): Term {
    const t = this.termInfixCall();
    if (this.tok.kind !== "eof") this.unexpected();
    return t;
  }

  /** Literals up to `end` (`}` or eof), separated by `;` or newlines. */
  private query(end: "}" | "]" | "eof"): Body {
    const atEnd = (): boolean => (end === "eof" ? this.tok.kind === "eof" : this.isPunct(end));
    if (atEnd()) this.fail("found empty body");
    const body: Expr[] = [];
    for (;;) {
      body.push(this.literal());
      if (this.isPunct(";")) {
        this.next();
        continue;
      }
      if (atEnd()) return body;
      if (!this.tok.newlineBefore) this.unexpected(`expected \\n or ; or ${end}`);
    }
  }

  /** One literal: `[not] expr [with ...]`, `some ...`, `every ...`, or an `and`/`or` chain. */
  private literal(): Expr {
    const loc = this.tok.loc;
    if (this.keywordStartsRef()) return this.literalExpr(false, loc);
    let negated = false;
    if (this.isIdent("not")) {
      this.next();
      negated = true;
    }
    if (this.isIdent("some") && !this.keywordStartsRef()) {
      if (negated) this.fail("illegal negation of 'some'");
      return this.some(loc);
    }
    if (this.isIdent("every") && !this.keywordStartsRef()) {
      if (negated) this.fail("illegal negation of 'every'");
      return this.every(loc);
    }
    return this.literalExpr(negated, loc);
  }

  private literalExpr(negated: boolean, loc: Location): Expr {
    let body: ExprBody;
    if (this.logicOps) {
      body = this.logicOr(negated);
    } else {
      body = this.exprBody();
    }
    const withs = this.isIdent("with") && !this.keywordStartsRef() ? this.withs() : [];
    return { ...body, negated, with: withs, loc };
  }

  /** `a or b or c` over `and` chains. */
  private logicOr(negated: boolean): ExprBody {
    const first = this.logicAnd(negated);
    if (!this.isIdent("or")) return first;
    const operands: Body[] = [asOperand(first, this.tok.loc)];
    while (this.isIdent("or")) {
      this.next();
      operands.push(asOperand(this.logicAnd(true), this.tok.loc));
    }
    return { kind: "logic", op: "or", operands };
  }

  private logicAnd(afterOperator: boolean): ExprBody {
    const first = this.logicOperand(afterOperator);
    if (!this.isIdent("and")) return first;
    const operands: Body[] = [asOperand(first, this.tok.loc)];
    while (this.isIdent("and")) {
      this.next();
      operands.push(asOperand(this.logicOperand(true), this.tok.loc));
    }
    return { kind: "logic", op: "and", operands };
  }

  /** A `{ body }` group (when an operator or `not` makes it one) or a plain expression. */
  private logicOperand(afterOperator: boolean): ExprBody {
    if (this.isPunct("{")) {
      const group = this.attempt(() => {
        this.next();
        const body = this.query("}");
        this.expectPunct("}");
        if (!afterOperator && !this.isIdent("and") && !this.isIdent("or")) {
          throw new RegoError("rego_parse_error", "not a group", this.tok.loc);
        }
        return body;
      });
      if (group !== undefined) return { kind: "logic", op: "and", operands: [group] };
    }
    return this.exprBody();
  }

  private exprBody(): ExprBody {
    const lhs = this.termInfixCall();
    if (this.isPunct(":=") || this.isPunct("=")) {
      const op = this.next().text;
      const rhs = this.termInfixCall();
      return { kind: op === ":=" ? "assign" : "unify", lhs, rhs };
    }
    if (lhs.type === "call") return { kind: "call", call: lhs };
    return { kind: "term", term: lhs };
  }

  private withs(): With[] {
    const out: With[] = [];
    while (this.isIdent("with") && !this.keywordStartsRef()) {
      const loc = this.next().loc;
      if (this.tok.kind !== "ident") this.unexpected("expected ident");
      const target = this.term();
      if (target.type !== "var" && target.type !== "ref") this.fail("expected with target path");
      if (!this.isIdent("as")) this.unexpected("expected as keyword");
      this.next();
      const value = this.termInfixCall();
      out.push({ target, value, loc });
    }
    return out;
  }

  private some(loc: Location): Expr {
    this.next();
    const asIn = this.attempt(() => {
      const t = this.termInfixCall();
      if (t.type !== "call" || !isMember(t)) throw new RegoError("rego_parse_error", "not in", t.loc);
      return t;
    });
    if (asIn !== undefined) {
      const args = asIn.args;
      const body: ExprBody =
        args.length === 3
          ? { kind: "somein", key: args[0], value: args[1] as Term, domain: args[2] as Term }
          : { kind: "somein", key: undefined, value: args[0] as Term, domain: args[1] as Term };
      const withs = this.isIdent("with") && !this.keywordStartsRef() ? this.withs() : [];
      return { ...body, negated: false, with: withs, loc };
    }
    const vars: VarTerm[] = [];
    for (;;) {
      if (this.tok.kind !== "ident" || this.isKeyword()) this.unexpected("expected var");
      vars.push(this.varTerm());
      if (!this.isPunct(",")) break;
      this.next();
    }
    return { kind: "some", vars, negated: false, with: [], loc };
  }

  private every(loc: Location): Expr {
    this.next();
    const t = this.termInfixCall();
    if (t.type !== "call" || !isMember(t)) this.fail("expected `x[, y] in xs { ... }` expression");
    const args = t.args;
    const [key, value, domain] = args.length === 3 ? [args[0], args[1], args[2]] : [undefined, args[0], args[1]];
    if (value?.type !== "var") this.fail("expected value to be a variable");
    if (key !== undefined && key.type !== "var") this.fail("expected key to be a variable");
    if (!this.isPunct("{")) this.unexpected("missing body");
    this.next();
    const body = this.query("}");
    this.expectPunct("}");
    const withs = this.isIdent("with") && !this.keywordStartsRef() ? this.withs() : [];
    return { kind: "every", key, value, domain: domain as Term, body, negated: false, with: withs, loc };
  }

  // ---- terms ----

  /** A term including `k, v in xs` (statement level). */
  private termInfixCall(): Term {
    return this.termIn(true);
  }

  /** A term in a list (no `k, v in xs` form, because commas separate items). */
  private termInList(): Term {
    return this.termIn(false);
  }

  private termIn(keyVal: boolean): Term {
    this.enter();
    try {
      let lhs = this.termRelation();
      if (keyVal && this.isPunct(",")) {
        const kv = this.attempt(() => {
          this.next();
          const mhs = this.termRelation();
          if (!this.isIdent("in") || this.keywordStartsRef()) throw new RegoError("rego_parse_error", "no in", this.tok.loc);
          const opTok = this.next();
          const rhs = this.termRelation();
          return call("internal.member_3", [lhs, mhs, rhs], opTok.loc, lhs.loc);
        });
        if (kv !== undefined) lhs = kv;
      }
      while (this.isIdent("in") && !this.keywordStartsRef()) {
        const opTok = this.next();
        const rhs = this.termRelation();
        lhs = call("internal.member_2", [lhs, rhs], opTok.loc, lhs.loc);
      }
      return lhs;
    } finally {
      this.leave();
    }
  }

  private termRelation(): Term {
    let lhs = this.termOr();
    for (;;) {
      const op = this.tok.kind === "punct" ? RELATION_OPS[this.tok.text] : undefined;
      if (op === undefined) return lhs;
      const opTok = this.next();
      lhs = call(op, [lhs, this.termOr()], opTok.loc, lhs.loc);
    }
  }

  private termOr(): Term {
    let lhs = this.termAnd();
    while (this.isPunct("|")) {
      const opTok = this.next();
      lhs = call("or", [lhs, this.termAnd()], opTok.loc, lhs.loc);
    }
    return lhs;
  }

  private termAnd(): Term {
    let lhs = this.termArith();
    while (this.isPunct("&")) {
      const opTok = this.next();
      lhs = call("and", [lhs, this.termArith()], opTok.loc, lhs.loc);
    }
    return lhs;
  }

  private termArith(): Term {
    let lhs = this.termFactor();
    for (;;) {
      const op = this.tok.kind === "punct" ? ARITH_OPS[this.tok.text] : undefined;
      if (op === undefined) return lhs;
      const opTok = this.next();
      lhs = call(op, [lhs, this.termFactor()], opTok.loc, lhs.loc);
    }
  }

  private termFactor(): Term {
    let lhs = this.term();
    for (;;) {
      const op = this.tok.kind === "punct" ? FACTOR_OPS[this.tok.text] : undefined;
      if (op === undefined) return lhs;
      const opTok = this.next();
      lhs = call(op, [lhs, this.term()], opTok.loc, lhs.loc);
    }
  }

  /** A primary term with its ref/call suffix. */
  private term(): Term {
    this.enter();
    try {
      const t = this.tok;
      let head: Term;
      if (t.kind === "number" || (this.isPunct("-") && this.peek().kind === "number") || (this.isPunct(".") && this.peek().kind === "number")) {
        head = this.number();
      } else if (t.kind === "string") {
        this.next();
        head = { type: "scalar", value: t.value as string, loc: t.loc };
      } else if (t.kind === "template") {
        this.next();
        head = this.template(t);
      } else if (t.kind === "ident") {
        if (this.keywordStartsRef() || t.text === "contains" || !this.isKeyword(t)) {
          head = this.varTerm();
        } else if (t.text === "true" || t.text === "false") {
          this.next();
          head = { type: "scalar", value: t.text === "true", loc: t.loc };
        } else if (t.text === "null") {
          this.next();
          head = { type: "scalar", value: null, loc: t.loc };
        } else {
          this.unexpected();
        }
      } else if (this.isPunct("[")) {
        head = this.array();
      } else if (this.isPunct("{")) {
        head = this.setOrObject();
      } else if (this.isPunct("(")) {
        this.next();
        head = this.termInfixCall();
        this.expectPunct(")");
      } else {
        this.unexpected();
      }
      return this.refSuffix(head, false);
    } finally {
      this.leave();
    }
  }

  private varTerm(): VarTerm {
    const t = this.next();
    return { type: "var", name: t.text, loc: t.loc };
  }

  private number(): Term {
    const loc = this.tok.loc;
    let text = "";
    if (this.isPunct("-")) {
      this.next();
      text = "-";
    }
    if (this.isPunct(".")) {
      this.next();
      text += "0.";
    }
    const t = this.next();
    if (t.kind !== "number") this.fail("expected number", t);
    const lit = t.text;
    if (!text.endsWith(".") && lit.length > 1 && lit[0] === "0" && lit[1] !== "." && lit[1] !== "e" && lit[1] !== "E") {
      this.fail("expected number without leading zero", t);
    }
    text += lit;
    return { type: "scalar", value: parseNumberLiteral(text, t), loc };
  }

  private template(t: Token): Term {
    const parts: (string | Expr)[] = [];
    for (const part of t.parts ?? []) {
      if (part.kind === "text") {
        parts.push(part.text);
        continue;
      }
      const sub = new Parser(tokenize(part.src, { file: t.loc.file, line: part.line, col: part.col }));
      sub.logicOps = this.logicOps;
      const e = sub.literal();
      if (sub.tok.kind !== "eof") sub.fail("expected } to end template string expression");
      if (e.negated) this.fail("unexpected negation ('not') in template-string expression", t);
      if (e.kind !== "term" && e.kind !== "call") this.fail(`unexpected ${e.kind} in template-string expression`, t);
      parts.push(e);
    }
    return { type: "template", parts, loc: t.loc };
  }

  /** Ref steps and calls directly attached to `head` (no whitespace before `.`, `[` or `(`). */
  private refSuffix(head: Term, importPath: boolean): Term {
    let cur: Term = head;
    for (;;) {
      const t = this.tok;
      if (t.spaceBefore) break;
      if (this.isPunct(".")) {
        this.next();
        const name = this.tok;
        if (name.kind !== "ident" || name.spaceBefore) this.unexpected("expected ident");
        this.next();
        cur = appendRef(cur, { type: "scalar", value: name.text, loc: name.loc });
      } else if (this.isPunct("[")) {
        this.next();
        const key = this.termInfixCall();
        this.expectPunct("]");
        cur = appendRef(cur, key);
      } else if (this.isPunct("(") && !importPath) {
        if (cur.type !== "var" && cur.type !== "ref") this.fail("illegal call operator");
        this.next();
        const args: Term[] = [];
        if (!this.isPunct(")")) {
          for (;;) {
            args.push(this.termInList());
            if (this.isPunct(",")) {
              this.next();
              if (this.isPunct(")")) break;
              continue;
            }
            break;
          }
        }
        this.expectPunct(")");
        if (cur.type === "var" && cur.name === "set" && args.length === 0) {
          cur = { type: "set", items: [], loc: cur.loc };
        } else {
          cur = { type: "call", operator: cur, args, loc: cur.loc };
        }
      } else {
        break;
      }
    }
    return cur;
  }

  private array(): Term {
    const loc = this.next().loc;
    if (this.isPunct("]")) {
      this.next();
      return { type: "array", items: [], loc };
    }
    let potentialComprehension = true;
    if (this.isPunct(",")) {
      potentialComprehension = false;
      this.next();
    }
    const save = this.i;
    const head = this.attempt(() => this.term());
    if (head !== undefined) {
      if (this.isPunct("]")) {
        this.next();
        return { type: "array", items: [head], loc };
      }
      if (this.isPunct("|") && potentialComprehension) {
        const body = this.attempt(() => {
          this.next();
          const b = this.query("]");
          this.expectPunct("]");
          return b;
        });
        if (body !== undefined) return { type: "arraycompr", head, body, loc };
      }
    }
    this.i = save;
    const items = this.termList("]");
    return { type: "array", items, loc };
  }

  private termList(end: string): Term[] {
    const items: Term[] = [];
    while (!this.isPunct(end)) {
      items.push(this.termInList());
      if (this.isPunct(",")) {
        this.next();
        continue;
      }
      if (!this.isPunct(end)) this.unexpected(`expected "," or "${end}"`);
    }
    this.next();
    return items;
  }

  private setOrObject(): Term {
    const loc = this.next().loc;
    if (this.isPunct("}")) {
      this.next();
      return { type: "object", entries: [], loc };
    }
    let potentialComprehension = true;
    if (this.isPunct(",")) {
      potentialComprehension = false;
      this.next();
    }
    const save = this.i;
    const head = this.attempt(() => this.term());
    if (head !== undefined) {
      if (this.isPunct("|") && potentialComprehension) {
        const body = this.attempt(() => {
          this.next();
          const b = this.query("}");
          this.expectPunct("}");
          return b;
        });
        if (body !== undefined) return { type: "setcompr", head, body, loc };
      }
      if (this.isPunct(":")) {
        this.next();
        const valueSave = this.i;
        const value = this.attempt(() => this.term());
        if (value !== undefined && this.isPunct("|") && potentialComprehension) {
          const body = this.attempt(() => {
            this.next();
            const b = this.query("}");
            this.expectPunct("}");
            return b;
          });
          if (body !== undefined) return { type: "objectcompr", key: head, value, body, loc };
        }
        this.i = valueSave;
        return this.objectRest(head, loc);
      }
    }
    this.i = save;
    const first = this.termInList();
    if (this.isPunct(":")) {
      this.next();
      return this.objectRest(first, loc);
    }
    const items = [first];
    if (this.isPunct(",")) {
      this.next();
      items.push(...this.termList("}"));
    } else {
      this.expectPunct("}");
    }
    return { type: "set", items, loc };
  }

  /** Rest of an object literal after `key:`. */
  private objectRest(firstKey: Term, loc: Location): Term {
    const entries: [Term, Term][] = [[firstKey, this.termInList()]];
    for (;;) {
      if (this.isPunct("}")) {
        this.next();
        return { type: "object", entries, loc };
      }
      this.expectPunct(",");
      if (this.isPunct("}")) continue;
      const k = this.termInList();
      this.expectPunct(":");
      entries.push([k, this.termInList()]);
    }
  }
}

function isMember(t: CallTerm): boolean {
  const op = t.operator;
  return op.type === "var" && (op.name === "internal.member_2" || op.name === "internal.member_3");
}

function call(op: string, args: Term[], opLoc: Location, loc: Location): CallTerm {
  return { type: "call", operator: { type: "var", name: op, loc: opLoc }, args, loc };
}

function appendRef(head: Term, step: Term): RefTerm {
  if (head.type === "ref") return { type: "ref", head: head.head, path: [...head.path, step], loc: head.loc };
  return { type: "ref", head, path: [step], loc: head.loc };
}

/** Rule head ref as a list: name var first, then steps. */
function refToPath(t: Term): Term[] {
  if (t.type === "var") return [t];
  if (t.type === "ref" && t.head.type === "var") return [t.head, ...t.path];
  throw new RegoError("rego_parse_error", "invalid rule head", t.loc);
}

/** An `and`/`or` operand as a body. */
function asOperand(e: ExprBody, loc: Location): Body {
  if (e.kind === "logic" && e.op === "and" && e.operands.length === 1) return e.operands[0] as Body;
  return [{ ...e, negated: false, with: [], loc }];
}

/** Parses number text: integers stay exact (bigint beyond the safe range), everything else is a float. */
export function parseNumberLiteral(text: string, t?: Token): number | bigint {
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n;
    return BigInt(text);
  }
  const n = Number(text);
  if (Number.isFinite(n)) return n;
  // Beyond float64 but integral (a huge exponent): keep it exact, as OPA's arbitrary-precision numbers do.
  const m = /^(-?)(\d+)(?:\.(\d+))?[eE]\+?(\d+)$/.exec(text);
  const exp = m === null ? Infinity : Number(m[4]) - (m[3]?.length ?? 0);
  if (m === null || exp < 0 || exp > 100000) {
    if (t !== undefined) throw new RegoError("rego_parse_error", "number too big", t.loc);
    throw new RangeError("number too big");
  }
  const digits = BigInt(`${m[2]}${m[3] ?? ""}`) * 10n ** BigInt(exp);
  return m[1] === "-" ? -digits : digits;
}
