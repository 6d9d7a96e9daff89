/**
 * The tree of virtual documents under `data`: one node per ground path step of a package or rule head,
 * holding the rules that define the document at that path. Base data (JSON) is merged in at evaluation.
 */
import type { IRule } from "./ir.js";
import { hashKey, type Value } from "./value.js";

/** A node of the data tree. */
export class DataNode {
  /** Children by path step (keyed by `hashKey`). */
  readonly children = new Map<unknown, DataNode>();
  /** Complete rules whose ref is exactly this path. */
  readonly complete: IRule[] = [];
  /** Multi-value (`contains`) rules whose ref is exactly this path. */
  readonly multi: IRule[] = [];
  /** Rules whose ground prefix ends here and whose ref continues with variables. */
  readonly objectRules: IRule[] = [];
  /** Function definitions at this path. */
  readonly functions: IRule[] = [];
  /** `default` rule. */
  defaultRule: IRule | undefined;
  /** `default` function. */
  defaultFunction: IRule | undefined;
  /** Arity of the functions declared here (known before any body is compiled). */
  functionArity: number | undefined;

  /** Creates a node for `path`. */
  constructor(
    /** Path from `data` to this node. */
    readonly path: readonly Value[],
  ) {}

  /** The child for `key`, if any. */
  child(key: Value): DataNode | undefined {
    return this.children.get(hashKey(key));
  }

  /** The child for `key`, created when missing. */
  ensureChild(key: Value): DataNode {
    const k = hashKey(key);
    let c = this.children.get(k);
    if (c === undefined) {
      c = new DataNode([...this.path, key]);
      this.children.set(k, c);
    }
    return c;
  }

  /** Whether rules define this node's value directly (so lookups below it go through that value). */
  get isRuleLeaf(): boolean {
    return this.complete.length > 0 || this.multi.length > 0 || this.defaultRule !== undefined;
  }

  /** Whether the node holds only functions (functions are not values: such nodes have no value). */
  get isFunctionOnly(): boolean {
    return (
      (this.functions.length > 0 || this.defaultFunction !== undefined) &&
      !this.isRuleLeaf &&
      this.objectRules.length === 0 &&
      this.children.size === 0
    );
  }

  /** Path as `data.a.b` text. */
  toString(): string {
    return ["data", ...this.path.map((p) => (typeof p === "string" ? p : JSON.stringify(p)))].join(".");
  }
}
