// Pages made for each JavaScript filter file of a collection, extracted by
// Open Terms Archive's engine with the service's filters loaded by the
// engine itself, for bench/filters.sh to compare with clausewatch.
//
//   NODE_CONFIG_DIR=<engine>/config NODE_CONFIG='{...collectionPath...}' \
//     node ota_filters.mjs COLLECTION_DIR OUT_DIR
//
// COLLECTION_DIR holds declarations/. For every <service>.filters.js and
// every document of the service whose sources name one of its filters,
// OUT_DIR receives <n>.json ({service, type, file, pages: [...], ota, ota_raw,
// error}) and <n>-<i>.html. `ota` is the engine's Markdown with the
// filters, `ota_raw` without them (so the comparison can tell a filter that
// changed nothing). Prints one JSON line: {"files":N,"documents":N}.
import fs from 'node:fs';
import path from 'node:path';

import extract from '@opentermsarchive/engine/extract';
import SourceDocument from '@opentermsarchive/engine/sourceDocument';

const [collection, out] = process.argv.slice(2);
// the engine's own loader of declarations and filters (not among its
// package exports: reached beside its extract module)
const services = await import(new URL('../services/index.js', import.meta.resolve('@opentermsarchive/engine/extract')));
const decls = path.join(collection, 'declarations');

const esc = s => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

// Strings of the filter code: CSS selectors handed to the DOM, and every
// other literal (names a filter compares text with).
function literals(code) {
  const all = [...code.matchAll(/(['"`])((?:\\.|(?!\1).){2,200}?)\1/g)].map(m => m[2]);
  const selectors = [...code.matchAll(/(?:querySelector(?:All)?|closest|matches)\(\s*(['"`])((?:\\.|(?!\1).)+?)\1/g)].map(m => m[2]);
  return { all, selectors };
}

// One element for a compound selector ("a.x#y[href*=v]"), as HTML.
function element(compound, text) {
  let tag = 'div';
  const attrs = {};
  const classes = [];
  let rest = compound.replace(/:[\w-]+(\([^)]*\))?/g, '');
  const t = rest.match(/^[a-zA-Z][\w-]*/);
  if (t) { tag = t[0].toLowerCase(); rest = rest.slice(t[0].length); }
  for (const m of rest.matchAll(/\.([\w-]+)|#([\w-]+)|\[([\w-]+)(?:([*^$|~]?=)\s*["']?([^"'\]]*)["']?)?\]/g)) {
    if (m[1]) classes.push(m[1]);
    else if (m[2]) attrs.id = m[2];
    else attrs[m[3]] = m[5] === undefined ? '' : (m[4] === '*=' || m[4] === '^=' ? m[5] + 'q=1' : m[5]);
  }
  if (classes.length) attrs.class = classes.join(' ');
  if (tag === 'a' && attrs.href === undefined) attrs.href = '/page?utm=1';
  if (tag === 'img' && attrs.src === undefined) attrs.src = '/img.png?x=1';
  const a = Object.entries(attrs).map(([k, v]) => ` ${k}="${esc(v)}"`).join('');
  if (['img', 'br', 'hr', 'input'].includes(tag)) return { open: `<${tag}${a} alt="${esc(text)}">`, close: '' };
  return { open: `<${tag}${a}>`, close: `</${tag}>` };
}

// Nested elements for a selector with descendant or child combinators.
function build(selector, text) {
  const parts = selector.replace(/\$\{[^}]*\}/g, ' ').trim().split(/\s*[>+~]\s*|\s+/).filter(Boolean);
  if (!parts.length) return '';
  const els = parts.map(p => element(p, text));
  return els.map(e => e.open).join('') + esc(text) + els.reverse().map(e => e.close).join('');
}

function page(source, code) {
  const { all, selectors } = literals(code);
  const texts = all.length ? all : ['text'];
  let body = '<h2>Section</h2><p>Plain text with <a href="/relative?fbclid=1&amp;keep=2">a relative link</a>, '
    + '<a href="#top">an anchor</a>, <a href="https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.com%2Fa&amp;h=AT0">a redirect</a> '
    + 'and <a href="https://example.com/x?amp_device_id=1&amp;h=2&amp;e=3">a tracked one</a>.</p>'
    + '<p><img src="/info.png?a=1" alt="info"> Detail.</p>';
  selectors.forEach((sel, i) => {
    for (const one of sel.split(',')) body += `<div>${build(one, texts[i % texts.length])}</div>`;
  });
  // each literal once as the text of an element that filters look into
  texts.slice(0, 60).forEach((t, i) => { body += `<p id="lit${i}">${esc(t)}</p>`; });
  const select = [].concat(source.contentSelectors || 'body').find(s => typeof s === 'string') || 'body';
  const wrap = select === 'body' ? { open: '', close: '' } : element(select.split(',')[0].trim().split(/\s+/).pop(), '');
  return `<!DOCTYPE html><html><head><title>t</title></head><body><header>Head</header>${wrap.open}${body}${wrap.close}<footer>Foot</footer></body></html>`;
}

async function markdown(src, html, filters) {
  return extract(new SourceDocument({
    location: src.location,
    contentSelectors: src.contentSelectors,
    insignificantContentSelectors: src.insignificantContentSelectors,
    filters,
    content: html,
    mimeType: 'text/html',
  }));
}

fs.mkdirSync(out, { recursive: true });
let files = 0, n = 0;
for (const file of fs.readdirSync(decls).filter(f => f.endsWith('.filters.js')).sort()) {
  const id = file.slice(0, -'.filters.js'.length);
  const code = fs.readFileSync(path.join(decls, file), 'utf8');
  let service;
  try {
    service = await services.createServiceFromDeclaration(id);
  } catch (e) {
    continue;
  }
  files++;
  for (const terms of service.getTerms()) {
    const sources = terms.sourceDocuments;
    if (!sources.some(s => s.filters && s.filters.length)) continue;
    if (sources.some(s => /\.pdf$/i.test(s.location))) continue;
    const rec = { service: id, type: terms.type, file, pages: [] };
    const parts = [], raw = [];
    try {
      for (const [i, src] of sources.entries()) {
        const html = page(src, code);
        const name = `${n}-${i}.html`;
        fs.writeFileSync(path.join(out, name), html);
        rec.pages.push(name);
        parts.push(await markdown(src, html, src.filters));
        raw.push(await markdown(src, html, []));
      }
      rec.ota = parts.join('\n\n- - -\n\n');
      rec.ota_raw = raw.join('\n\n- - -\n\n');
    } catch (e) {
      rec.error = String(e.message || e);
    }
    fs.writeFileSync(path.join(out, `${n}.json`), JSON.stringify(rec));
    n++;
  }
}
console.log(JSON.stringify({ files, documents: n }));
