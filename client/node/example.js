#!/usr/bin/env node
'use strict';
/*
 * The Node example of docs/protocol.md: tags a quote of an article (and
 * the same text by UTF-16 offsets), shows a refusal's code and reason,
 * lists the article's annotations, follows the change feed until the
 * tag's change arrives, and exports the article (brat and jsonl).
 *
 *   npm ci    (once, in this folder: protobufjs)
 *   node example.js URL ARTICLE QUOTE NTH LABEL OUTDIR
 *   node example.js tcp://127.0.0.1:7411 003_d4609c45f16f6551 ترامب 1 PERSON /tmp/out
 */
const path = require('path');
const { Client } = require('./gloss');

/* A span's offsets in bytes, code points and UTF-16, checked against the
 * text with JavaScript's own arithmetic. */
function checkSpan(text, s) {
  const bytes = Buffer.from(text, 'utf8');
  const chars = Array.from(text); // one element per code point
  const ok = text.slice(s.utf16Start, s.utf16End) === s.exact &&
    chars.slice(s.charStart, s.charEnd).join('') === s.exact &&
    bytes.subarray(s.byteStart, s.byteEnd).toString('utf8') === s.exact;
  if (!ok) throw new Error(`span ${JSON.stringify(s)} does not quote the text`);
}

async function main() {
  const [url, article, quote, nth, label, outDir] = process.argv.slice(2);
  if (!outDir) {
    console.error('usage: example.js URL ARTICLE QUOTE NTH LABEL OUTDIR');
    process.exit(2);
  }
  const c = new Client(url, { author: 'node-example', timeoutMs: 10000 });
  const follower = new Client(url, { timeoutMs: 10000 }); // its own connection
  const info = await c.call('GetServerInfo');
  console.log(`glossd ${info.version} speaks ${info.protocol}; last change ${info.lastSeq}`);

  // Follow the feed from now on, while the tag is made, until its change.
  let setTagId;
  const tagId = new Promise((resolve) => { setTagId = resolve; });
  const feed = follower.changes(info.lastSeq, { waitMs: 5000 });
  const seen = (async () => {
    const giveUp = Date.now() + 30000;
    for await (const ch of feed) {
      console.log(`feed: ${ch.seq} ${ch.author} ${ch.subject} ${ch.operation} ${ch.articleId} ${ch.annotationId}`);
      if (ch.subject === 'SUBJECT_ANNOTATION' && ch.annotationId === await tagId) return ch;
      if (Date.now() > giveUp) throw new Error('the tag never came through the feed');
    }
  })();

  const text = (await c.call('GetArticle', { id: article })).article.text;
  const created = await c.call('CreateAnnotation', {
    annotation: {
      articleId: article,
      select: [{ quote: { exact: quote, nth: Number(nth) } }],
      entity: { label },
    },
  });
  const ann = created.annotation;
  setTagId(ann.id);
  const s = ann.spans[0];
  checkSpan(text, s);
  console.log(`tagged: annotation ${ann.id} ${label} utf16 ${s.utf16Start}-${s.utf16End} chars ${s.charStart}-${s.charEnd} "${s.exact}"`);

  // The same text by offsets: a JavaScript string is UTF-16, so indexOf
  // gives UNIT_UTF16 offsets as they are.
  const at = text.indexOf(s.exact, s.utf16Start);
  const byRange = (await c.call('CreateAnnotation', {
    annotation: {
      articleId: article,
      select: [{ range: { unit: 'UNIT_UTF16', start: at, end: at + s.exact.length } }],
      note: { text: 'tagged by range' },
    },
  })).annotation;
  const r = byRange.spans[0];
  checkSpan(text, r);
  console.log(`by range: annotation ${byRange.id} utf16 ${r.utf16Start}-${r.utf16End} bytes ${r.byteStart}-${r.byteEnd} "${r.exact}"`);

  try {
    await c.call('GetArticle', { id: `${article}-no-such` });
  } catch (e) {
    console.log(`refused: ${e.codeName} ${e.reason}: ${e.glossMessage}`);
  }

  let n = 0, pages = 0;
  for await (const page of c.pages('ListAnnotations', { articleId: article, pageSize: 2 })) {
    pages++;
    for (const a of page.annotations) {
      for (const sp of a.spans) checkSpan(text, sp);
      console.log(`listed: ${a.id} ${a.kind} ${a.entity ? a.entity.label : ''} "${a.spans.map((x) => x.exact).join(' … ')}"`);
      n++;
    }
  }
  console.log(`listed ${n} annotations in ${pages} pages`);

  const change = await seen;
  console.log(`followed: change ${change.seq} is annotation ${change.annotationId}`);
  follower.close();

  const brat = await c.export('brat', path.join(outDir, `${article}.brat`), { articleId: article });
  console.log(`exported brat: ${brat.files.join(' ')}: ${brat.articles} articles, ${brat.annotations} annotations`);
  const jsonl = await c.export('jsonl', path.join(outDir, `${article}.jsonl`), { articleId: article });
  console.log(`exported jsonl: ${jsonl.bytes} bytes, ${jsonl.annotations} annotations, as of change ${jsonl.asOfSeq}`);
  c.close();
}

main().catch((e) => {
  console.error(`example.js: ${e.message}`);
  process.exit(1);
});
