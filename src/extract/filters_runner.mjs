// filters_runner: a declaration's JavaScript filters applied to a page,
// the way Open Terms Archive's engine applies them (docs/filters.md), for
// src/extract/filters.c, which runs this script with node in a process of
// its own (a deadline, a CPU limit, --max-old-space-size).
//
//   node filters_runner.mjs MODULES_DIR     (MODULES_DIR holds jsdom)
//
// Standard input: one JSON object
//   {"service": S, "html": PAGE, "url": URL,
//    "filters": [{"name": N, "param": P?}, ...],   in the declared order
//    "context": {"fetch", "select", "remove", "filter"},
//    "code": FILTERS_JS, "history": FILTERS_HISTORY_JS or null,
//    "imports": {NAME: TEXT} (the files of the declarations folder they
//               import, "./NAME"), "at": ISO date of the snapshot or null}
// Standard output: one JSON object, {"html": PAGE, "warnings": [...]} or
// {"error": REASON, "filter": N}; the exit status is 0 either way. Anything
// else (a crash, a limit) is the caller's to describe.
import { createRequire, register } from 'node:module';
import path from 'node:path';

// Filters that fetch over the network (`import fetch from
// 'isomorphic-fetch'`) are refused: a page's text must depend on the page
// alone, and a request from here would bypass the fetcher's rules on
// addresses. Both the global fetch and the usual packages reject.
const REFUSE = 'network access from a filter is not allowed';
const refusingModule = 'data:text/javascript,' + encodeURIComponent(
  `export default function fetch() { return Promise.reject(new Error(${JSON.stringify(REFUSE)})); }`);
// The filters files are modules made from their bytes (data: URLs); a
// file of the declarations folder they import ("./Google.filters.js") is
// one too, from the request's `imports`.
const hooks = `
const mapped = new Set(['isomorphic-fetch', 'node-fetch', 'cross-fetch']);
let imports = {};
export async function initialize(data) { imports = data || {}; }
export async function resolve(specifier, context, next) {
  if (mapped.has(specifier))
    return { url: ${JSON.stringify(refusingModule)}, shortCircuit: true };
  if (specifier.startsWith('./') && (context.parentURL || '').startsWith('data:')) {
    const name = specifier.slice(2);
    if (!Object.hasOwn(imports, name))
      throw new Error('filters import ' + specifier + ', which is not beside them');
    return { url: 'data:text/javascript;base64,' + Buffer.from(imports[name]).toString('base64'), shortCircuit: true };
  }
  return next(specifier, context);
}`;
globalThis.fetch = () => Promise.reject(new Error(REFUSE));

function reply(obj) {
  process.stdout.write(JSON.stringify(obj));
}

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

// A filters file as a module of its own, from its bytes (the store keeps
// the bytes, not the path: docs/filters.md).
async function importCode(code) {
  if (!code) return {};
  return import('data:text/javascript;base64,' + Buffer.from(code).toString('base64'));
}

// Open Terms Archive's one built-in filter: the named query parameters
// dropped from links and images (resolved against the page), a URL
// rewritten only when it held one of them.
function removeQueryParams(document, names) {
  const list = names === undefined || names === null ? [] : [].concat(names);
  if (!list.length) return;
  for (const el of document.querySelectorAll('a[href], img[src]')) {
    const isLink = el.tagName === 'A';
    let url;
    try {
      url = new URL(isLink ? el.href : el.src);
    } catch {
      continue;
    }
    if (!list.some(n => url.searchParams.has(n))) continue;
    for (const n of list) url.searchParams.delete(n);
    if (isLink) el.href = url.toString();
    else el.src = url.toString();
  }
}
const builtins = { removeQueryParams };

// The function a name stands for at date `at`: a built-in first; then,
// for a snapshot with a date, the first version in the history file
// (sorted by validUntil) still valid at that date; else the current one.
function resolveFilter(name, current, history, at) {
  if (Object.hasOwn(builtins, name)) return builtins[name];
  if (at && Array.isArray(history[name])) {
    const when = new Date(at);
    const versions = history[name]
      .filter(v => v && v.validUntil && typeof v.filter === 'function')
      .sort((a, b) => new Date(a.validUntil) - new Date(b.validUntil));
    const hit = versions.find(v => when <= new Date(v.validUntil));
    if (hit) return hit.filter;
  }
  return typeof current[name] === 'function' ? current[name] : undefined;
}

async function main() {
  const modules = process.argv[2];
  if (!modules) {
    process.stderr.write('usage: filters_runner.mjs MODULES_DIR\n');
    process.exit(2);
  }
  const req = JSON.parse(await readStdin());
  register('data:text/javascript,' + encodeURIComponent(hooks), { data: req.imports || {} });
  const { JSDOM, VirtualConsole } = createRequire(path.join(modules, 'index.js'))('jsdom');
  const service = req.service || 'service';
  let current, history;
  try {
    current = await importCode(req.code);
    history = await importCode(req.history);
  } catch (e) {
    return reply({ error: `the filters of '${service}' cannot be loaded: ${e}`, filter: '' });
  }
  // The page as the engine builds it: jsdom, the page's URL (so that
  // `link.href` resolves), its console silenced, its scripts not run.
  const dom = new JSDOM(req.html, { url: req.url || undefined, virtualConsole: new VirtualConsole() });
  const document = dom.window.document;
  const warnings = [];
  const context = req.context || {};
  for (const { name, param } of req.filters || []) {
    const fn = resolveFilter(name, current, history, req.at);
    if (!fn) {
      warnings.push(`filter '${name}' is not a function of the filters of '${service}': not applied`);
      continue;
    }
    try {
      // as the engine: a parameter that is not truthy is not passed, and
      // the declaration comes second then; a filter may be async
      if (param) await fn(document, param, context);
      else await fn(document, context);
    } catch (e) {
      return reply({ error: String(e && e.stack ? e.toString() : e), filter: name });
    }
  }
  reply({ html: dom.serialize(), warnings });
}

main().catch(e => reply({ error: `the filter runner failed: ${e}`, filter: '' }));
