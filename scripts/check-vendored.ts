/**
 * Fails when a vendored third-party proto differs from the npm package it was copied from (proto/grpc/README.md).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const packageRoot = (name: string) => dirname(require.resolve(`${name}/package.json`));

const vendored: [string, string][] = [
  ["proto/grpc/health/v1/health.proto", join(packageRoot("grpc-health-check"), "proto/health/v1/health.proto")],
  [
    "proto/grpc/reflection/v1/reflection.proto",
    join(packageRoot("@grpc/reflection"), "build/proto/grpc/reflection/v1/reflection.proto"),
  ],
  [
    "proto/grpc/reflection/v1alpha/reflection.proto",
    join(packageRoot("@grpc/reflection"), "build/proto/grpc/reflection/v1alpha/reflection.proto"),
  ],
];

const changed = vendored.filter(([copy, source]) => !readFileSync(copy).equals(readFileSync(source)));
for (const [copy, source] of changed) console.error(`${copy} differs from ${source}`);
process.exitCode = changed.length === 0 ? 0 : 1;
