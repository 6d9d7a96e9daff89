import test from "ava";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PecrError } from "#core/errors/pecr-error.js";
import { createFsCorpus } from "./fs-corpus.js";
import { parseObjectId } from "./object-id.js";

function corpusFixture(t: { teardown(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), "pecr-corpus-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, "corpus");
  mkdirSync(join(root, "public"), { recursive: true });
  mkdirSync(join(root, "restricted"));
  writeFileSync(join(root, "public", "a.txt"), "alpha\n");
  writeFileSync(join(root, "restricted", "secret.txt"), "secret\n");
  writeFileSync(join(dir, "outside.txt"), "outside\n");
  writeFileSync(join(root, ".hidden"), "hidden\n");
  symlinkSync(join(dir, "outside.txt"), join(root, "public", "escape.txt"));
  symlinkSync(join(root, "restricted", "secret.txt"), join(root, "public", "inside-link.txt"));
  symlinkSync(join(root, "restricted"), join(root, "linked-dir"));
  return createFsCorpus({ root, maxObjectBytes: 1024 });
}

function message(error: unknown): string {
  return error instanceof PecrError ? `${error.code}: ${error.message}` : String(error);
}

test("object ids with parent, current, absolute, empty or hidden segments are rejected with one fixed message", (t) => {
  for (const id of ["../restricted/secret.txt", "/etc/passwd", "public/../restricted/secret.txt", "public/./a.txt", "public//a.txt", "", ".hidden", "public/a.txt/", "a\\b", "a\0b"]) {
    const error = t.throws(() => parseObjectId(id));
    t.is(message(error), "ERR_INVALID_PARAMS: object_id must be a relative path without parent components", id);
  }
  t.deepEqual(parseObjectId("public/a.txt"), ["public", "a.txt"]);
});

test("listing returns regular files only, sorted, skipping symbolic links and hidden files", async (t) => {
  const corpus = corpusFixture(t);
  t.deepEqual(await corpus.list(), ["public/a.txt", "restricted/secret.txt"]);
});

test("reading follows no symbolic link, inside or outside the root", async (t) => {
  const corpus = corpusFixture(t);
  t.is(Buffer.from(await corpus.read("public/a.txt")).toString(), "alpha\n");
  for (const id of ["public/escape.txt", "public/inside-link.txt", "linked-dir/secret.txt"]) {
    const error = await t.throwsAsync(corpus.read(id));
    t.is(message(error), "ERR_INVALID_PARAMS: object_id escapes corpus root", id);
  }
});

test("a missing object is a non-retryable not-found source error", async (t) => {
  const corpus = corpusFixture(t);
  const error = await t.throwsAsync(corpus.read("public/missing.txt"));
  t.true(error instanceof PecrError && error.retryable === false);
  t.is(message(error), "ERR_SOURCE_UNAVAILABLE: object not found");
  t.is(message(await t.throwsAsync(corpus.read("public"))), "ERR_SOURCE_UNAVAILABLE: object not found");
});

test("objects over the size cap are refused", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pecr-corpus-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "big.txt"), "x".repeat(2048));
  const corpus = createFsCorpus({ root: dir, maxObjectBytes: 1024 });
  t.is(message(await t.throwsAsync(corpus.read("big.txt"))), "ERR_INVALID_PARAMS: object exceeds size cap");
});

test("a cached object that changes on disk is read again, even at the same size", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pecr-corpus-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "doc.txt"), "version one\n");
  const corpus = createFsCorpus({ root: dir, maxObjectBytes: 1024 });
  t.is(Buffer.from(await corpus.read("doc.txt")).toString(), "version one\n");
  t.is(Buffer.from(await corpus.read("doc.txt")).toString(), "version one\n");
  writeFileSync(join(dir, "doc.txt"), "version two\n");
  t.is(Buffer.from(await corpus.read("doc.txt")).toString(), "version two\n");
});

test("a cached object replaced by a symbolic link is refused, not served from the cache", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pecr-corpus-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "root"));
  writeFileSync(join(dir, "root", "doc.txt"), "inside\n");
  writeFileSync(join(dir, "outside.txt"), "outside\n");
  const corpus = createFsCorpus({ root: join(dir, "root"), maxObjectBytes: 1024 });
  await corpus.read("doc.txt");
  rmSync(join(dir, "root", "doc.txt"));
  symlinkSync(join(dir, "outside.txt"), join(dir, "root", "doc.txt"));
  t.is(message(await t.throwsAsync(corpus.read("doc.txt"))), "ERR_INVALID_PARAMS: object_id escapes corpus root");
});
