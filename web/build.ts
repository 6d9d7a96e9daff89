/**
 * Builds the page into a directory: index.html and main.js (src/main.ts bundled for browsers by esbuild). The
 * output is never committed; the browser test builds into a temp dir.
 */
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const webDir = fileURLToPath(new URL(".", import.meta.url));

/** Bundles the page into `outDir`. */
export async function buildWebPage(outDir: string): Promise<void> {
  await build({
    entryPoints: [join(webDir, "src/main.ts")],
    outfile: join(outDir, "main.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
  });
  copyFileSync(join(webDir, "index.html"), join(outDir, "index.html"));
}
