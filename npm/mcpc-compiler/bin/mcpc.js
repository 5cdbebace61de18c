#!/usr/bin/env node
// The `mcpc` command of the npm package `mcpc-compiler`: finds the native
// binary in the per-platform package npm installed beside it (one of the
// optionalDependencies, chosen by their `os`, `cpu` and `libc` fields) and
// runs it with the same arguments, standard streams and exit status.
// Nothing is downloaded here: npm brought the binary like any other package.
"use strict";

const { spawnSync } = require("child_process");
const path = require("path");

// process.platform-process.arch[-libc] -> the packages that can serve it,
// best first (a static musl binary also runs on a glibc system).
const PACKAGES = {
  "linux-x64-gnu": ["mcpc-compiler-linux-x64-gnu", "mcpc-compiler-linux-x64-musl"],
  "linux-x64-musl": ["mcpc-compiler-linux-x64-musl"],
  "linux-arm64-gnu": ["mcpc-compiler-linux-arm64-gnu"],
  "darwin-x64": ["mcpc-compiler-darwin-x64"],
  "darwin-arm64": ["mcpc-compiler-darwin-arm64"],
  "win32-x64": ["mcpc-compiler-win32-x64-msvc"],
};

function platformKey() {
  const key = `${process.platform}-${process.arch}`;
  if (process.platform !== "linux") return key;
  const report = process.report && process.report.getReport();
  const glibc = report && report.header && report.header.glibcVersionRuntime;
  return `${key}-${glibc ? "gnu" : "musl"}`;
}

function findBinary(key) {
  const exe = process.platform === "win32" ? "mcpc.exe" : "mcpc";
  for (const name of PACKAGES[key] || []) {
    try {
      const manifest = require.resolve(`${name}/package.json`);
      return path.join(path.dirname(manifest), "bin", exe);
    } catch (_) {
      // not installed: try the next one
    }
  }
  return null;
}

const key = platformKey();
const binary = findBinary(key);
if (binary === null) {
  const wanted = (PACKAGES[key] || []).join(" or ");
  process.stderr.write(
    wanted
      ? `mcpc-compiler: the native package for ${key} (${wanted}) is not installed; ` +
          "reinstall without --omit=optional / --no-optional\n"
      : `mcpc-compiler: no native mcpc for ${key}; ` +
          "install it with `cargo install mcpc` or `pipx install mcpc-compiler`\n",
  );
  process.exit(2);
}

const result = spawnSync(binary, process.argv.slice(2), { stdio: "inherit" });
if (result.error) {
  process.stderr.write(`mcpc-compiler: cannot run ${binary}: ${result.error.message}\n`);
  process.exit(2);
}
if (result.signal) {
  process.kill(process.pid, result.signal);
}
process.exit(result.status === null ? 2 : result.status);
