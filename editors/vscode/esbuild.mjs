// Bundles the extension (Node, CommonJS), the panel script (browser) and, with --tests,
// the Node tests (ESM, dependencies left to node_modules).
import { build } from "esbuild";
import { readdirSync } from "node:fs";

const production = process.argv.includes("--production");
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: "warning", target: "es2022" };

await Promise.all([
  build({ ...common, entryPoints: ["src/extension/extension.ts"], outfile: "dist/extension.js", platform: "node", format: "cjs", external: ["vscode"] }),
  build({ ...common, entryPoints: ["src/webview/main.ts"], outfile: "dist/webview.js", platform: "browser", format: "iife" }),
]);

if (process.argv.includes("--tests")) {
  const entries = readdirSync("test").filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).map((f) => `test/${f}`);
  await build({
    ...common,
    entryPoints: entries,
    outdir: "out/test",
    outExtension: { ".js": ".mjs" },
    platform: "node",
    format: "esm",
    packages: "external",
  });
}
