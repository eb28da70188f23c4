// Open Terms Archive's fetch and extract of declared documents, without its
// git recording: bench/monitor.sh's fallback when Chromium is not installed
// (with it, the bench runs the real tracker, `ota track`). For each document
// of the declarations in DIR, in order, the engine's own fetch (its plain
// HTTP fetcher) then its own extract, one document at a time as `ota track`
// does (MAX_PARALLEL_TRACKING = 1 in src/archivist/index.js).
//
// Why `ota track` needs Chromium: it launches headless Chrome at start-up
// for every run (Archivist.track -> launchHeadlessBrowser), and the bench
// installs the engine with PUPPETEER_SKIP_DOWNLOAD=1, so without Debian's
// chromium it exits before fetching anything. Leaving out the git commits
// of snapshots and versions makes this an optimistic measure of OTA.
//
// Usage: node ota_track.mjs DECLARATIONS_DIR MAX_DOCS TIMEOUT_MS
// Prints: {"documents":N,"ok":N,"failed":N,"seconds":S,"peak_rss":B,"errors":{...}}
import fs from 'node:fs';
import path from 'node:path';
import fetch from '@opentermsarchive/engine/fetch';
import extract from '@opentermsarchive/engine/extract';
import SourceDocument from '@opentermsarchive/engine/sourceDocument';

const [dir, maxArg, timeoutArg] = process.argv.slice(2);
const max = Number(maxArg || 300);
const timeout = Number(timeoutArg || 5000);
const docs = [];
for (const f of fs.readdirSync(dir).filter(f => f.endsWith('.json')).sort()) {
  const decl = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  for (const [type, t] of Object.entries(decl.terms)) {
    if (docs.length < max) docs.push({ service: f.slice(0, -5), type, t });
  }
}
let ok = 0, failed = 0, peak = 0;
const errors = {};
const t0 = process.hrtime.bigint();
for (const { t } of docs) {
  try {
    const r = await fetch({
      url: t.fetch,
      executeClientScripts: false, // no browser installed: no escalation
      config: { navigationTimeout: timeout, language: 'en', waitForElementsTimeout: timeout },
    });
    await extract(new SourceDocument({
      location: t.fetch,
      contentSelectors: t.select,
      insignificantContentSelectors: t.remove,
      filters: [],
      content: r.content,
      mimeType: r.mimeType,
    }));
    ok++;
  } catch (e) {
    failed++;
    const k = String(e && e.message || e).replace(/[0-9]+/g, 'N').slice(0, 60);
    errors[k] = (errors[k] || 0) + 1;
  }
  const rss = process.memoryUsage().rss;
  if (rss > peak) peak = rss;
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ documents: docs.length, ok, failed, seconds: secs, peak_rss: peak, errors }));
