/**
 * Read access to the document corpus on the local filesystem. Object ids are relative paths; nothing outside
 * the corpus root can be named or reached, including through symbolic links.
 */
import { constants } from "node:fs";
import { lstat, open, readdir, realpath } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { errors } from "#core/errors/pecr-error.js";
import { compareCodePoints } from "#core/canonical/canonical-text.js";
import { parseObjectId } from "./object-id.js";

/** Options of the corpus. */
export interface FsCorpusOptions {
  /** The corpus root directory. */
  readonly root: string;
  /** Largest object that may be read, in bytes. */
  readonly maxObjectBytes: number;
}

/** The document corpus. */
export interface FsCorpus {
  /** Object ids of every regular file under the root (symbolic links skipped), sorted by code point. */
  list(): Promise<string[]>;
  /** The current bytes of an object. */
  read(objectId: string): Promise<Uint8Array>;
}

/** Creates the corpus reader; the root must exist. */
export function createFsCorpus(options: FsCorpusOptions): FsCorpus {
  let rootReal: Promise<string> | undefined;
  const root = () =>
    (rootReal ??= realpath(options.root).catch((cause: unknown) => {
      rootReal = undefined;
      throw errors.internal({ cause });
    }));

  return {
    async list() {
      const base = await root();
      const found: string[] = [];
      await walk(base, base, found);
      return found.sort(compareCodePoints);
    },

    async read(objectId) {
      const segments = parseObjectId(objectId);
      const base = await root();
      const lexical = join(base, ...segments);
      let resolved: string;
      try {
        resolved = await realpath(lexical);
      } catch (cause) {
        throw errors.sourceNotFound("object not found", { cause });
      }
      if (resolved !== lexical) {
        // Some component is a symbolic link (or the name resolves elsewhere): refuse whether or not the target
        // stays inside the root, so links can never widen what an object id reaches.
        throw errors.invalidParams("object_id escapes corpus root");
      }
      // O_NOFOLLOW closes the window between the check above and the open.
      const handle = await open(resolved, constants.O_RDONLY | constants.O_NOFOLLOW).catch((cause: unknown) => {
        throw errors.sourceNotFound("object not found", { cause });
      });
      try {
        const stat = await handle.stat();
        if (!stat.isFile()) throw errors.sourceNotFound("object not found");
        if (stat.size > options.maxObjectBytes) throw errors.invalidParams("object exceeds size cap");
        return new Uint8Array(await handle.readFile());
      } finally {
        await handle.close();
      }
    },
  };
}

async function walk(base: string, dir: string, found: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await walk(base, path, found);
    } else if (entry.isFile() && (await lstat(path)).isFile()) {
      found.push(relative(base, path).split(sep).join("/"));
    }
  }
}
