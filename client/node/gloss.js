'use strict';
/*
 * gloss.js: a glossd client for Node.js, written from docs/protocol.md
 * alone.  SP's REQ side by hand over `net` (ipc:// is a Unix socket,
 * tcp:// a TCP one), the contract from proto/gloss/v1/gloss.proto through
 * protobufjs (nothing of it is written here: methods and fields come from
 * the .proto), a request id and a deadline on every call, and retries of
 * UNAVAILABLE with backoff and the same request id.
 *
 *   const { Client } = require('./gloss');
 *   const c = new Client('tcp://127.0.0.1:7411', { author: 'ana' });
 *   const r = await c.call('GetArticle', { id: '003_d4609c45f16f6551' });
 *   for await (const a of c.items('ListAnnotations', { articleId: r.article.id })) ...
 *   for await (const ch of c.changes(0)) ...   // follows for ever
 *   await c.export('brat', 'dataset');
 *   c.close();
 *
 * Messages are plain objects with protobufjs's camelCase names; enums are
 * their names, 64-bit integers are Numbers (ids, sequence numbers and
 * times stay far below 2^53), bytes are Buffers.
 */
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const path = require('path');
const protobuf = require('protobufjs');

const HELLO_REQ = Buffer.from([0x00, 0x53, 0x50, 0x00, 0x00, 0x30, 0x00, 0x00]);
const HELLO_REP = Buffer.from([0x00, 0x53, 0x50, 0x00, 0x00, 0x31, 0x00, 0x00]);
const MAX_REQUEST = 1 << 20; // glossd's max_request_bytes
const MAX_MESSAGE = 4 << 20; // its replies are under 1 MiB
const FIRST_DIAL_MS = 3000; // a client that never reached glossd gives up then
const TO_OBJECT = { longs: Number, enums: String, defaults: true };

/* The gloss.v1 types, from the .proto (default: the checkout's proto/). */
function loadProto(protoDir) {
  const dir = protoDir || process.env.GLOSS_PROTO ||
    path.join(__dirname, '..', '..', 'proto');
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => path.join(dir, target);
  root.loadSync('gloss/v1/gloss.proto');
  root.resolveAll();
  return root;
}

/* A call that did not succeed: code (a number), codeName ("NOT_FOUND"),
 * message; from the reply's Status when it has them, details, reason (a
 * name for a program to switch on; '' if none) and metadata; status, the
 * whole Status (null when the client gave up on its own); requestId. */
class GlossError extends Error {
  constructor(codeName, code, message, status, requestId) {
    super(`${message} (${codeName})`);
    this.code = code;
    this.codeName = codeName;
    this.glossMessage = message;
    this.status = status || null;
    this.details = (status && status.details) || [];
    this.reason = (status && status.reason !== 'REASON_UNSPECIFIED' && status.reason) || '';
    this.metadata = (status && status.metadata) || {};
    this.requestId = requestId;
  }
}

/* ipc:///path or tcp://host:port as net.connect() options. */
function parseUrl(url) {
  if (url.startsWith('ipc://') && url.length > 6)
    return { ipc: true, options: { path: url.slice(6) } };
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:]+):(\d+)$/.exec(url);
  if (m)
    return { ipc: false, options: { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) } };
  throw new Error(`glossd listens on ipc:// and tcp:// only, not ${url}`);
}

/*
 * One SP REQ connection.  The frames: after both 8-byte headers, each
 * message is a 64-bit big-endian length (on ipc, after a type byte, 1)
 * and that many bytes: a 4-byte request id with its top bit set, then
 * the packed Request (or, coming back, the same id and the Reply).
 */
class Connection {
  constructor(url) {
    const { ipc, options } = parseUrl(url);
    this.ipc = ipc;
    this.nextId = 1;
    this.waiting = new Map(); // request id -> { resolve, reject }
    this.buf = Buffer.alloc(0);
    this.greeted = false;
    this.ready = new Promise((resolve, reject) => {
      this.socket = net.connect(options);
      this.socket.setNoDelay(true);
      this.socket.once('connect', () => this.socket.write(HELLO_REQ));
      this.onHello = resolve;
      this.onFail = reject;
    });
    this.ready.catch(() => {}); // a request awaiting it still sees the failure
    this.socket.on('data', (d) => this.read(d));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('glossd closed the connection')));
  }

  fail(err) {
    this.dead = err;
    this.onFail(err);
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    this.socket.destroy();
  }

  read(data) {
    this.buf = Buffer.concat([this.buf, data]);
    if (!this.greeted) {
      if (this.buf.length < 8) return;
      if (!this.buf.subarray(0, 8).equals(HELLO_REP))
        return this.fail(Object.assign(new Error('the peer is not an SP REP socket'), { protocol: true }));
      this.greeted = true;
      this.buf = this.buf.subarray(8);
      this.onHello();
    }
    const head = this.ipc ? 9 : 8;
    while (this.buf.length >= head) {
      if (this.ipc && this.buf[0] !== 1)
        return this.fail(Object.assign(new Error(`an IPC frame of type ${this.buf[0]}`), { protocol: true }));
      const n = this.buf.readBigUInt64BE(head - 8);
      if (n < 4n || n > BigInt(MAX_MESSAGE))
        return this.fail(Object.assign(new Error(`a reply of ${n} bytes`), { protocol: true }));
      if (this.buf.length < head + Number(n)) return;
      const msg = this.buf.subarray(head, head + Number(n));
      this.buf = this.buf.subarray(head + Number(n));
      const w = this.waiting.get(msg.readUInt32BE(0));
      this.waiting.delete(msg.readUInt32BE(0));
      if (w) w.resolve(msg.subarray(4)); // else a reply given up on
    }
  }

  /* Sends one packed Request; resolves to the packed Reply. */
  async request(packed) {
    await this.ready;
    if (this.dead) throw this.dead;
    const id = (0x80000000 | this.nextId) >>> 0;
    this.nextId = this.nextId % 0x7fffffff + 1;
    const head = Buffer.alloc(this.ipc ? 9 : 8);
    if (this.ipc) head[0] = 1;
    head.writeBigUInt64BE(BigInt(4 + packed.length), this.ipc ? 1 : 0);
    const rid = Buffer.alloc(4);
    rid.writeUInt32BE(id);
    const reply = new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.socket.write(Buffer.concat([head, rid, packed]));
    return reply;
  }

  close() {
    this.socket.destroy();
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Client {
  /* url: ipc://PATH or tcp://HOST:PORT; author: who makes changes;
   * timeoutMs: a call's deadline, retries included (default 30 s). */
  constructor(url, { author = '', timeoutMs = 30000, protoDir } = {}) {
    parseUrl(url);
    this.url = url;
    this.author = author;
    this.timeoutMs = timeoutMs;
    this.root = loadProto(protoDir);
    this.Request = this.root.lookupType('gloss.v1.Request');
    this.Reply = this.root.lookupType('gloss.v1.Reply');
    this.Code = this.root.lookupEnum('gloss.v1.Code');
    this.conn = null;
  }

  close() {
    if (this.conn) this.conn.close();
    this.conn = null;
  }

  /* The Request arm of a method: 'GetArticle', 'getArticle' or 'get_article'. */
  arm(method) {
    for (const f of this.Request.oneofs.body.fieldsArray) {
      f.resolve();
      if (f.name === method || f.resolvedType.name === method + 'Request' ||
          protobuf.util.camelCase(method) === f.name)
        return f.name;
    }
    throw new Error(`gloss.v1 has no method ${method}`);
  }

  /* Calls method with body (a plain object of the method's request);
   * resolves to the reply's arm, or rejects with a GlossError. */
  async call(method, body = {}, { timeoutMs, requestId } = {}) {
    const arm = this.arm(method);
    const timeout = timeoutMs || this.timeoutMs;
    const q = {
      requestId: requestId || crypto.randomUUID(),
      author: this.author,
      [arm]: body,
    };
    const deadline = Date.now() + timeout;
    let pause = 50, why = 'no attempt';
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw this.error('DEADLINE_EXCEEDED', `no reply from glossd within ${timeout} ms (${why})`, null, q.requestId);
      const r = await this.attempt(q, left);
      if (r.reply) {
        const reply = this.Reply.toObject(r.reply, TO_OBJECT);
        if (reply.status.code !== 'OK')
          throw this.error(reply.status.code, reply.status.message, reply.status, q.requestId);
        return reply[arm];
      }
      why = r.why;
      await sleep(Math.min(pause * (0.5 + Math.random() / 2), Math.max(0, deadline - Date.now())));
      pause = Math.min(2 * pause, 1000);
    }
  }

  error(codeName, message, status, requestId) {
    return new GlossError(codeName, this.Code.values[codeName], message, status, requestId);
  }

  /* One try: { reply } for any status but UNAVAILABLE; { why } to retry. */
  async attempt(q, left) {
    const packed = this.Request.encode(this.Request.fromObject({ ...q, timeoutMs: Math.max(1, Math.floor(left)) })).finish();
    if (packed.length > MAX_REQUEST)
      throw this.error('RESOURCE_EXHAUSTED', `the request is ${packed.length} bytes, over glossd's limit; it was not sent`, null, q.requestId);
    if (!this.conn) this.conn = new Connection(this.url);
    const conn = this.conn;
    let timer, raw;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no reply in ${Math.ceil(left)} ms`)), left);
    });
    try {
      raw = await Promise.race([conn.request(packed), late]);
      this.connectedOnce = true;
    } catch (e) {
      // Lost or timed out: perhaps applied, so sent again with the same id.
      if (this.conn === conn) this.close();
      if (e.protocol) throw e;
      if (!conn.greeted && !this.connectedOnce) {
        // Nothing listens: while glossd restarts that passes, but a client
        // that never reached it says so soon.
        this.dialSince = this.dialSince || Date.now();
        if (Date.now() - this.dialSince > FIRST_DIAL_MS)
          throw this.error('UNAVAILABLE', `nothing answers at ${this.url}: ${e.message} (is glossd running?)`, null, q.requestId);
      }
      return { why: `${this.url}: ${e.message}` };
    } finally {
      clearTimeout(timer);
    }
    let reply;
    try {
      reply = this.Reply.decode(raw);
    } catch (e) {
      this.close();
      throw Object.assign(new Error(`a reply that is not a gloss.v1.Reply: ${e.message}`), { protocol: true });
    }
    if (reply.status && reply.status.code === this.Code.values.UNAVAILABLE)
      return { why: reply.status.message };
    return { reply };
  }

  /* Every page of a paged method, following nextPageToken. */
  async *pages(method, body = {}, opts = {}) {
    let token = '';
    do {
      const page = await this.call(method, { ...body, pageToken: token }, opts);
      yield page;
      token = page.nextPageToken;
    } while (token);
  }

  /* Every item of a paged list: the page's one repeated field, or field. */
  async *items(method, body = {}, { field, ...opts } = {}) {
    for await (const page of this.pages(method, body, opts)) {
      const name = field || Object.keys(page).find((k) => Array.isArray(page[k]));
      yield* page[name];
    }
  }

  /* The change feed after sinceSeq: an async iterator of Change whose
   * sinceSeq is the cursor (the last change yielded), by long polls of
   * waitMs; for ever, or (follow false) up to the newest change. */
  changes(sinceSeq = 0, { follow = true, waitMs = 25000, ...body } = {}) {
    const client = this;
    return {
      sinceSeq,
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const wait = follow ? waitMs : 0;
          const page = await client.call('ListChanges', { ...body, sinceSeq: this.sinceSeq, waitMs: wait },
            { timeoutMs: wait + 10000 });
          if (page.changes.length === 0 && !follow) return;
          for (const ch of page.changes) {
            this.sinceSeq = ch.seq;
            yield ch;
          }
        }
      },
    };
  }

  /* Writes an export into out (a file; for brat a new or empty folder)
   * through out + '.part', renamed when the last page is in; chunk paths
   * are checked (exportPathOk) before anything is written.  Resolves to
   * { files, bytes, articles, annotations, losses, asOfSeq }. */
  async export(format, out, filters = {}) {
    const folder = format === 'brat';
    const part = out + '.part';
    const res = { files: [], bytes: 0, articles: 0, annotations: 0, losses: [], asOfSeq: 0 };
    let fd = null, current = null;
    if (folder && fs.existsSync(out) && (!fs.statSync(out).isDirectory() || fs.readdirSync(out).length))
      throw new Error(`${out} is not a new or empty folder`);
    if (folder) fs.mkdirSync(part);
    try {
      for await (const page of this.pages('Export', { ...filters, format })) {
        for (const ch of page.chunks) {
          if (fd === null || ch.path !== current) {
            if (res.files.includes(folder ? ch.path : out))
              throw new Error(`glossd sent more of '${ch.path}' after another file began`);
            if (folder ? !exportPathOk(ch.path) : ch.path !== '')
              throw new Error(`glossd sent a file name that is not a plain name inside ${part}: ${JSON.stringify(ch.path)}`);
            if (fd !== null) fs.closeSync(fd);
            fd = fs.openSync(folder ? path.join(part, ch.path) : part, 'w');
            current = ch.path;
            res.files.push(folder ? ch.path : out);
          }
          fs.writeSync(fd, ch.data);
          res.bytes += ch.data.length;
        }
        res.articles += page.articles;
        res.annotations += page.annotations;
        res.losses.push(...page.losses);
        res.asOfSeq = page.asOfSeq;
      }
      if (fd === null && !folder) fd = fs.openSync(part, 'w');
      if (fd !== null) fs.closeSync(fd);
      fd = null;
      if (folder && fs.existsSync(out)) fs.rmdirSync(out); // empty: checked first
      fs.renameSync(part, out);
      return res;
    } catch (e) {
      if (fd !== null) fs.closeSync(fd);
      fs.rmSync(part, { recursive: true, force: true });
      throw e;
    }
  }
}

/* An export chunk's path names a plain file inside the folder (the rule
 * of docs/protocol.md and `gloss export`): no '/', '\\', '..', leading
 * '.', control byte; 1-255 bytes. */
function exportPathOk(p) {
  const n = Buffer.byteLength(p);
  return n > 0 && n <= 255 && !p.startsWith('.') && !p.includes('..') &&
    !/[\x00-\x1f\x7f/\\]/.test(p);
}

module.exports = { Client, GlossError, loadProto, exportPathOk, parseUrl };
