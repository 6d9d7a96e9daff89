/**
 * Browser interop: the minimal Connect-Web page (web/) calls the controller's Run and RunStream cross-origin —
 * the page is served from another port than the controller, which allows that origin with
 * PECR_CORS_ALLOWED_ORIGINS — in Debian's Chromium driven by playwright-core. The test reads what the page
 * rendered: the answer, its terminal mode, and the stream's events. A page from an origin that is not allowed
 * is refused by the browser. `bash .ci/run` installs chromium.
 */
import anyTest, { type TestFn } from "ava";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { buildWebPage } from "../../web/build.js";
import { type Stack, startStack } from "../support/stack-harness.js";

const test = anyTest as TestFn;
const QUESTION = "What are the support hours?";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage", "--no-first-run"];

/** Serves the files of `dir` on 127.0.0.1 port 0 (GET only, no directory escape). */
async function serveDirectory(dir: string): Promise<{ origin: string; server: Server }> {
  const types: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8" };
  const server = createServer((request, response) => {
    const path = normalize(new URL(request.url ?? "/", "http://page").pathname).replace(/^[/\\]+/, "");
    const file = join(dir, path === "" ? "index.html" : path);
    if (request.method !== "GET" || !file.startsWith(dir) || !existsSync(file)) return void response.writeHead(404).end();
    response.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function chromiumPath(): string | undefined {
  return [process.env.PECR_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
    (path): path is string => path !== undefined && path !== "" && existsSync(path),
  );
}

let pageDir: string | undefined;
let allowed: { origin: string; server: Server } | undefined;
let other: { origin: string; server: Server } | undefined;
let stack: Stack | undefined;
let browser: Browser | undefined;

test.before(async () => {
  pageDir = mkdtempSync(join(tmpdir(), "pecr-web-"));
  await buildWebPage(pageDir);
  allowed = await serveDirectory(pageDir);
  other = await serveDirectory(pageDir);
  stack = await startStack({ controllerEnv: { PECR_CORS_ALLOWED_ORIGINS: allowed.origin } });
  const executablePath = chromiumPath();
  if (executablePath !== undefined) browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
});

test.after.always(async () => {
  await browser?.close();
  await stack?.close();
  for (const served of [allowed, other]) await new Promise((resolve) => served?.server.close(resolve));
  if (pageDir !== undefined) rmSync(pageDir, { recursive: true, force: true });
});

/** Opens the page from `origin` and waits until it has finished (or failed); returns what it rendered. */
async function render(origin: string) {
  const page = await browser!.newPage();
  try {
    const params = new URLSearchParams({ controller: stack!.controller.url, principal: "dev", query: QUESTION });
    await page.goto(`${origin}/index.html?${params}`);
    await page.waitForFunction(() => /^(done|error)/.test(document.getElementById("status")?.textContent ?? ""), undefined, { timeout: 60_000 });
    return {
      status: (await page.textContent("#status")) ?? "",
      terminalMode: (await page.textContent("#terminal-mode")) ?? "",
      answer: (await page.textContent("#answer")) ?? "",
      citations: await page.locator("#citations li").allTextContents(),
      events: await page.locator("#events li").allTextContents(),
    };
  } finally {
    await page.close();
  }
}

test.serial("a Connect-Web page in Chromium runs Run and RunStream cross-origin and renders the answer and the events", async (t) => {
  if (browser === undefined) {
    t.fail("no Chromium found at /usr/bin/chromium (bash .ci/run installs it; PECR_CHROMIUM overrides the path)");
    return;
  }
  const shown = await render(allowed!.origin);
  t.is(shown.status, "done");
  t.is(shown.terminalMode, "SUPPORTED");
  t.true(shown.answer.includes("Support hours are 09:00 to 17:00 UTC, Monday to Friday."), shown.answer);
  t.true(shown.citations.includes("public/support_policy.txt"));
  t.regex(shown.events[0] ?? "", /^sessionStarted [0-9A-HJKMNP-TV-Z]{26}$/);
  t.true(shown.events.some((event) => /^operatorCall 1 search SUPPORTED$/.test(event)));
  t.true(shown.events.some((event) => event.startsWith("evidence ")));
  t.deepEqual(shown.events.slice(-2), ["finalize SUPPORTED", "result SUPPORTED"]);
});

test.serial("the browser refuses the controller's answer to a page from an origin that is not allowed", async (t) => {
  if (browser === undefined) {
    t.fail("no Chromium found at /usr/bin/chromium (bash .ci/run installs it; PECR_CHROMIUM overrides the path)");
    return;
  }
  const shown = await render(other!.origin);
  t.regex(shown.status, /^error: /);
  t.is(shown.answer, "");
});
