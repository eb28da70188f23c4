// Open Terms Archive's own extraction of the corpus snapshots, timed in
// one process, for `make bench`. Prints one JSON line:
//   {"documents":N,"pages":N,"bytes":N,"seconds":S,"rounds":R,"peak_rss":B,"failed":N}
// Usage: node ota_extract.mjs SNAPSHOTS_DIR ROUNDS
import fs from 'node:fs';
import path from 'node:path';
import extract from '@opentermsarchive/engine/extract';
import SourceDocument from '@opentermsarchive/engine/sourceDocument';

const [dir, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg || 3);

// Every snapshot folder: service/type/{declaration.json, meta.json, source*.html}
const docs = [];
for (const service of fs.readdirSync(dir).sort()) {
  const sdir = path.join(dir, service);
  if (!fs.statSync(sdir).isDirectory()) continue;
  for (const type of fs.readdirSync(sdir).sort()) {
    const tdir = path.join(sdir, type);
    const wrapped = JSON.parse(fs.readFileSync(path.join(tdir, 'declaration.json'), 'utf8'));
    const terms = wrapped.terms || wrapped.documents || {};
    const decl = terms[type] || Object.values(terms)[0];
    const htmls = fs.readdirSync(tdir).filter(f => /^source.*\.html$/.test(f)).sort();
    const sources = decl.combine
      ? decl.combine.map(s => ({ ...decl, ...s, combine: undefined }))
      : [decl];
    // The pages of a combined document are in the declaration's order;
    // meta.json lists the files in that order when there are several.
    let files = htmls;
    const metaPath = path.join(tdir, 'meta.json');
    if (htmls.length > 1 && fs.existsSync(metaPath)) {
      const meta = JSON.parse(fs.readFileSync(metaPath, 'utf8'));
      const listed = (meta.files || []).map(p => p.file).filter(Boolean);
      if (listed.length === htmls.length) files = listed;
    }
    const pages = files.map((f, i) => ({
      html: fs.readFileSync(path.join(tdir, f), 'utf8'),
      src: sources[Math.min(i, sources.length - 1)],
    }));
    docs.push(pages);
  }
}

let bytes = 0, failed = 0, pagesN = 0;
const t0 = process.hrtime.bigint();
for (let r = 0; r < rounds; r++) {
  for (const pages of docs) {
    for (const { html, src } of pages) {
      if (r === 0) { bytes += Buffer.byteLength(html); pagesN++; }
      try {
        await extract(new SourceDocument({
          location: src.fetch,
          contentSelectors: src.select,
          insignificantContentSelectors: src.remove,
          filters: [],
          content: html,
          mimeType: 'text/html',
        }));
      } catch (e) {
        if (r === 0) failed++;
      }
    }
  }
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({
  documents: docs.length, pages: pagesN, bytes, seconds, rounds,
  peak_rss: process.resourceUsage().maxRSS * 1024, failed,
}));
