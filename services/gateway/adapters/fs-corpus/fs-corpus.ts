/**
 * Read access to the document corpus on the local filesystem. Object ids are relative paths; nothing outside
 * the corpus root can be named or reached, including through symbolic links.
 *
 * Metadata calls (listing directories, checking a cached file's stamp) are synchronous on purpose: every search
 * lists the corpus and checks each file it reads, and on a local disk those calls are answered from the kernel's
 * caches in 2-6 µs, while their promise versions cost 30-40 µs of CPU each in thread-pool hand-offs (measured on
 * the reference 2-core machine) — a sixth of a busy gateway's CPU under a search-heavy load. Content is read
 * asynchronously. The corpus is expected on local storage, where metadata never blocks for long.
 */
import { type BigIntStats, constants, lstatSync, readdirSync } from "node:fs";
import { LRUCache } from "lru-cache";
import { open, realpath } from "node:fs/promises";
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
  /** Bytes of file content kept in memory between reads (0 disables; default 64 MiB). */
  readonly cacheBytes?: number;
}

/** A file's identity as far as change detection goes: any write changes one of these. */
interface FileStamp {
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
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
  // Content of files read before, with the stamp they had. A read costs one lstat when the file is unchanged (the
  // way version control tools detect changes) instead of resolving, opening, reading and closing it again.
  const maxCached = options.cacheBytes ?? 64 * 1024 * 1024;
  const cache = new LRUCache<string, { stamp: FileStamp; bytes: Uint8Array }>({
    maxSize: Math.max(1, maxCached),
    sizeCalculation: (entry) => Math.max(1, entry.bytes.length),
  });
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
      walk(base, base, found);
      return found.sort(compareCodePoints);
    },

    async read(objectId) {
      const segments = parseObjectId(objectId);
      const base = await root();
      const lexical = join(base, ...segments);
      const cached = maxCached > 0 ? cache.get(objectId) : undefined;
      if (cached !== undefined) {
        // lstat does not follow a final symbolic link, and any change of the file (or of the path leading to a
        // different file) changes its stamp; only then is the full, checked read below repeated.
        const stat = stampIfPresent(lexical);
        if (stat !== undefined && stat.isFile() && sameStamp(stampOf(stat), cached.stamp)) return cached.bytes;
        cache.delete(objectId);
      }
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
        const stat = await handle.stat({ bigint: true });
        if (!stat.isFile()) throw errors.sourceNotFound("object not found");
        if (stat.size > BigInt(options.maxObjectBytes)) throw errors.invalidParams("object exceeds size cap");
        const bytes = new Uint8Array(await handle.readFile());
        // Keep it only if the file did not change while it was read.
        const after = await handle.stat({ bigint: true });
        if (maxCached > 0 && sameStamp(stampOf(stat), stampOf(after))) cache.set(objectId, { stamp: stampOf(after), bytes });
        return bytes;
      } finally {
        await handle.close();
      }
    },
  };
}

/** lstat of a path, or undefined when it cannot be read (gone, a component is no longer a directory, access). */
function stampIfPresent(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function stampOf(stat: BigIntStats): FileStamp {
  return { ino: stat.ino, size: stat.size, mtimeNs: stat.mtimeNs, ctimeNs: stat.ctimeNs };
}

function walk(base: string, dir: string, found: string[]): void {
  // Directory entry types come from readdir without following links: symbolic links are neither files nor
  // directories here, so they are skipped.
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      walk(base, path, found);
    } else if (entry.isFile()) {
      found.push(relative(base, path).split(sep).join("/"));
    }
  }
}
