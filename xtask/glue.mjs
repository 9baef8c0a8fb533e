// Finishing the wasm-bindgen glue for the shipped widget, with acorn (terser's own parser).
//
//   node glue.mjs NPM_DIR prune GLUE
//     refuses a glue that exports a class (the widget exports only `mount`;
//     a dependency's class keeps its code in the wasm even once its exports
//     are gone: see vendor/wasm_streams/PATCHED.md), removes `initSync` (the
//     loader calls the default export, with the wasm's fetch as it is, not
//     in an object, which the init function no longer unwraps), shortens wasm-bindgen's warnings
//     and its debug printing of JS values (which only panic messages use),
//     and prints, one per line, the wasm exports the glue still uses.
//   node glue.mjs NPM_DIR css FILE
//     minifies our own stylesheet in place: comments and the white space
//     around punctuation go (never before a colon, which would join a
//     descendant selector such as `.cw :focus`).
//   node glue.mjs NPM_DIR exports WASM
//     prints the wasm module's export names, one per line.
//   node glue.mjs NPM_DIR rename GLUE WASM MAP
//     renames the glue's imports and export uses to the names wasm-opt
//     minified (MAP is its JSON mapping), drops the imports the optimised
//     wasm no longer has, and checks that glue and wasm agree.
//
// Edits are made on the source text at the syntax tree's positions, so the
// glue's code is never re-printed; terser minifies it afterwards.

import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const [npmDir, command, gluePath, wasmPath, mapPath] = process.argv.slice(2);
const acorn = createRequire(`${npmDir}/package.json`)("acorn");

function fail(message) {
  console.error(`glue.mjs: ${message}`);
  process.exit(1);
}

function parse(text) {
  return acorn.parse(text, { ecmaVersion: "latest", sourceType: "module" });
}

/** Calls `visit` on every node under `node`. */
function walk(node, visit) {
  if (!node || typeof node.type !== "string") return;
  visit(node);
  for (const key of Object.keys(node)) {
    const child = node[key];
    if (Array.isArray(child)) child.forEach((c) => walk(c, visit));
    else if (child && typeof child.type === "string") walk(child, visit);
  }
}

/** Applies `[start, end, text]` edits to `source`. */
function apply(source, edits) {
  edits.sort((a, b) => b[0] - a[0]);
  let out = source;
  let last = Infinity;
  for (const [start, end, text] of edits) {
    if (end > last) fail("overlapping edits");
    out = out.slice(0, start) + text + out.slice(end);
    last = start;
  }
  return out;
}

const keyName = (p) => (p.key.type === "Identifier" ? p.key.name : p.key.value);

/** The names used as `wasm.NAME`: the glue's uses of the module's exports. */
function exportUses(ast) {
  const uses = [];
  walk(ast, (n) => {
    if (
      n.type === "MemberExpression" &&
      !n.computed &&
      n.object.type === "Identifier" &&
      n.object.name === "wasm" &&
      n.property.type === "Identifier"
    ) {
      uses.push(n.property);
    }
  });
  return uses;
}

function prune() {
  const source = readFileSync(gluePath, "utf8");
  const ast = parse(source);
  // A class a dependency exports (wasm-streams' did) cannot be removed
  // here: its methods' futures stay in the wasm's function table after
  // their exports go. The dependency itself must lose it.
  const classes = ast.body
    .filter((s) => s.type === "ExportNamedDeclaration" && s.declaration?.type === "ClassDeclaration")
    .map((s) => s.declaration.id.name);
  if (classes.length)
    fail(`the glue exports ${classes.join(", ")}: is vendor/wasm_streams still patched in? (see its PATCHED.md)`);
  const edits = [];
  // `initSync`: the loader only ever calls the asynchronous default export.
  for (const s of ast.body) {
    if (s.type === "FunctionDeclaration" && s.id.name === "initSync") edits.push([s.start, s.end, ""]);
    if (s.type === "ExportNamedDeclaration" && !s.declaration) {
      for (const [i, spec] of s.specifiers.entries()) {
        if (spec.local.name !== "initSync") continue;
        const next = s.specifiers[i + 1];
        edits.push([spec.start, next ? next.start : spec.end, ""]);
      }
    }
  }
  // `debugString` writes a JS value for Rust's `Debug` (`{:?}` of a
  // `JsValue`), which only panic and log messages use and the widget never
  // shows: the value's own `String`, in a twentieth of the code.
  for (const s of ast.body) {
    if (s.type === "FunctionDeclaration" && s.id.name === "debugString") {
      edits.push([s.body.start, s.body.end, "{ try { return String(val); } catch { return typeof val; } }"]);
    }
  }
  // The init function's `{module_or_path}` object and its warning for
  // anything else: our loader passes the wasm's fetch as it is.
  walk(ast, (n) => {
    if (n.type === "IfStatement" && /getPrototypeOf\(module_or_path\)/.test(source.slice(n.start, n.end)) &&
        n.test.type === "BinaryExpression" && n.test.operator === "!==")
      edits.push([n.start, n.end, ""]);
  });
  // The warnings for misuse and misconfiguration, in a few words: the
  // widget is called one way, by our loader, and served as application/wasm.
  const removed = edits.slice();
  walk(ast, (n) => {
    if (n.type !== "Literal" || typeof n.value !== "string" || n.value.length < 60) return;
    if (removed.some(([start, end]) => start <= n.start && n.end <= end)) return;
    if (n.value.includes("deprecated parameters")) edits.push([n.start, n.end, '"deprecated parameters"']);
    if (n.value.includes("instantiateStreaming")) edits.push([n.start, n.end, '"not served as application/wasm"']);
  });
  const pruned = apply(source, edits);
  if (/\binitSync\b/.test(pruned)) fail("initSync is still named in the glue");
  if (/getPrototypeOf\(module_or_path\)/.test(pruned)) fail("the init function still unwraps an object");
  writeFileSync(gluePath, pruned);
  const used = new Set(exportUses(parse(pruned)).map((p) => p.name));
  process.stdout.write([...used].sort().join("\n") + "\n");
}

function rename() {
  const source = readFileSync(gluePath, "utf8");
  const map = JSON.parse(readFileSync(mapPath, "utf8"));
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  const wasmImports = WebAssembly.Module.imports(module);
  const wasmExports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const modules = new Set(wasmImports.map((i) => i.module));
  if (modules.size > 1) fail(`expected one import module, found ${[...modules].join(", ")}`);
  const newModule = [...modules][0] ?? "a";
  const importNames = new Map(map.imports.map(([mod, from, to]) => [`${mod}\u0000${from}`, to]));
  const exportNames = new Map(map.exports.map(([from, to]) => [from, to]));
  const ast = parse(source);
  const edits = [];

  // The imports object: the object literal with the most known import names,
  // and the object that names its module.
  let importObject = null;
  let best = 0;
  walk(ast, (n) => {
    if (n.type !== "ObjectExpression") return;
    const known = n.properties.filter(
      (p) => p.type === "Property" && map.imports.some(([, from]) => from === keyName(p)),
    ).length;
    if (known > best) {
      best = known;
      importObject = n;
    }
  });
  if (!importObject) fail("no imports object in the glue");
  let oldModule = null;
  walk(ast, (n) => {
    if (n.type !== "Property" || n.value.type !== "Identifier" || typeof n.key.value !== "string") return;
    if (!map.imports.some(([mod]) => mod === n.key.value)) return;
    oldModule = n.key.value;
    edits.push([n.key.start, n.key.end, JSON.stringify(newModule)]);
  });
  if (oldModule === null) fail("no property names the imports' module");
  let dropped = 0;
  for (const p of importObject.properties) {
    if (p.type !== "Property") continue;
    const name = keyName(p);
    const to = importNames.get(`${oldModule}\u0000${name}`);
    if (to !== undefined) {
      edits.push([p.key.start, p.key.end, JSON.stringify(to)]);
    } else if (name.startsWith("__wbg") || name.startsWith("__wbindgen")) {
      // An import the optimised wasm dropped: its function goes too.
      const end = source[p.end] === "," ? p.end + 1 : p.end;
      edits.push([p.start, end, ""]);
      dropped += 1;
    }
  }
  for (const id of exportUses(ast)) {
    const to = exportNames.get(id.name);
    if (to === undefined) fail(`the glue uses wasm.${id.name}, which the wasm does not export`);
    edits.push([id.start, id.end, to]);
  }
  const renamed = apply(source, edits);
  writeFileSync(gluePath, renamed);

  // Check: every import the wasm asks for is provided, every use is exported.
  const check = parse(renamed);
  const wanted = new Set(wasmImports.map((i) => i.name));
  let provided = new Set();
  walk(check, (n) => {
    if (n.type !== "ObjectExpression") return;
    const keys = new Set(n.properties.filter((p) => p.type === "Property").map(keyName));
    const hits = [...keys].filter((k) => wanted.has(k)).length;
    if (hits > [...provided].filter((k) => wanted.has(k)).length) provided = keys;
  });
  const missing = wasmImports.filter((i) => !provided.has(i.name)).map((i) => i.name);
  if (missing.length) fail(`the glue does not provide ${missing.join(", ")}`);
  const unknown = exportUses(check)
    .map((p) => p.name)
    .filter((n) => !wasmExports.has(n));
  if (unknown.length) fail(`the glue uses exports the wasm lacks: ${unknown.join(", ")}`);
  console.error(
    `glue.mjs: ${wasmImports.length} imports and ${wasmExports.size} exports renamed, ${dropped} unused imports dropped`,
  );
}

if (command === "prune") prune();
else if (command === "css") {
  const css = readFileSync(gluePath, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\s+/g, " ")
    .replace(/\s*([{};,>])\s*/g, "$1")
    .replace(/:\s+/g, ":")
    .replace(/;}/g, "}")
    .trim();
  writeFileSync(gluePath, css);
}
else if (command === "exports") {
  const module = new WebAssembly.Module(readFileSync(gluePath));
  process.stdout.write(WebAssembly.Module.exports(module).map((e) => e.name).join("\n") + "\n");
}
else if (command === "rename") rename();
else fail("usage: node glue.mjs NPM_DIR (prune GLUE | exports WASM | rename GLUE WASM MAP)");
