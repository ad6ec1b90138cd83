#!/usr/bin/env node
// Real-client scenario: the MinIO JavaScript client (`minio` npm package) against Strata.
// See clients/CONTRACT.md. Packages come from clients/js/node_modules (npm ci there); resolved from
// this file's location. minio-js signs with SigV4 and sends Content-MD5 on writes; before a
// multipart upload it asks ListMultipartUploads (to resume an upload), which is expected.
// STRATA_DEBUG=1 traces every request and response head to stderr (client.traceOn).
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const { STRATA_ENDPOINT: ENDPOINT, STRATA_TOKEN: TOKEN, STRATA_BUCKET: BUCKET, SCRATCH } = process.env;
if (!ENDPOINT || !TOKEN || !BUCKET || !SCRATCH) {
  console.log('not ok setup: STRATA_ENDPOINT, STRATA_TOKEN, STRATA_BUCKET and SCRATCH must be set');
  process.exit(1);
}
for (const k of Object.keys(process.env)) if (k.startsWith('AWS_') || k.startsWith('MINIO_')) delete process.env[k];
process.env.HOME = SCRATCH;

const require = createRequire(new URL('../js/package.json', import.meta.url));
let Minio;
try {
  Minio = require('minio');
} catch (e) {
  console.log(`skip: the minio package is not installed (run npm ci in clients/js): ${e.code ?? e.message}`);
  process.exit(77);
}

const MiB = 1024 * 1024;
const url = new URL(ENDPOINT);
const md5 = (b) => createHash('md5').update(b).digest('hex');
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

function client(secret = TOKEN) {
  const c = new Minio.Client({
    endPoint: url.hostname,
    port: Number(url.port || 80),
    useSSL: url.protocol === 'https:',
    accessKey: TOKEN,
    secretKey: secret,
    region: 'us-east-1',
    pathStyle: true,
    partSize: 5 * MiB,
  });
  if (process.env.STRATA_DEBUG) c.traceOn(process.stderr);
  return c;
}

const mc = client();
let failures = 0;

function describe(e) {
  const parts = [`${e?.name ?? 'Error'}`];
  if (e?.code) parts.push(`code=${e.code}`);
  parts.push(e?.message ?? String(e));
  if (e?.amzRequestid) parts.push(`request-id=${e.amzRequestid}`);
  return parts.join(' ');
}
function check(cond, msg) { if (!cond) throw new Error(msg); }
async function step(name, fn) {
  try {
    await fn();
    console.log(`ok ${name}`);
  } catch (e) {
    failures++;
    console.log(`not ok ${name}: ${describe(e).replace(/\s*\n\s*/g, ' ')}`);
    console.error(e);
  }
}
async function drain(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}
const bytes = async (key, opts, c = mc) => drain(await c.getObject(BUCKET, key, opts));
async function list(stream) {
  const items = [];
  await new Promise((resolve, reject) => stream.on('data', (o) => items.push(o)).on('error', reject).on('end', resolve));
  return { keys: items.filter((o) => o.name !== undefined).map((o) => o.name), prefixes: items.filter((o) => o.prefix !== undefined).map((o) => o.prefix), items };
}
async function expectError(promise, code, what) {
  try {
    await promise;
  } catch (e) {
    check(e?.code === code, `${what}: expected ${code}, got ${describe(e)}`);
    return e;
  }
  throw new Error(`${what} succeeded, expected ${code}`);
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

const SMALL = Buffer.from('hello strata\n');
const SPECIAL = 'dir/a b+c&d=e-é.txt';
const SPECIAL_DATA = Buffer.from('spécial\n');
const LIST_KEYS = ['list/a.txt', 'list/b.txt', 'list/sub/c.txt', 'list/sub/d.txt', 'listx.txt'];

await step('create-bucket', async () => {
  await mc.makeBucket(BUCKET, 'us-east-1');
  check(await mc.bucketExists(BUCKET), 'bucketExists is false after makeBucket');
  const names = (await mc.listBuckets()).map((b) => b.name);
  check(names.includes(BUCKET), `${BUCKET} not in listBuckets: ${names}`);
});

await step('put-small', async () => {
  const r = await mc.putObject(BUCKET, 'small.txt', SMALL);
  check(r.etag === md5(SMALL), `etag ${r.etag} is not the MD5`);
  check(r.versionId, 'no version id in the answer');
  const got = await bytes('small.txt');
  check(got.equals(SMALL), `read back ${JSON.stringify(got.toString())}`);
});

await step('put-multipart', async () => {
  // 12 MiB with partSize 5 MiB is above the part size, so minio-js asks ListMultipartUploads (to
  // resume an upload) and then does CreateMultipartUpload / UploadPart / CompleteMultipartUpload.
  // How many parts it sends is up to the client: minio-js 8.0.7 cuts parts with block-stream2 but
  // reads them with a readable-stream 3 async iterator, which joins the blocks already buffered, so
  // a Buffer goes up as ONE 12 MiB part numbered 2 (its part numbers start at 2), and a file as
  // parts whose sizes are multiples of 5 MiB. So only "a multipart ETag" is checked here.
  const data = randomBytes(12 * MiB);
  const r = await mc.putObject(BUCKET, 'big/big.bin', data, data.length, { 'Content-Type': 'application/x-big' });
  check(/^[0-9a-f]{32}-\d+$/.test(r.etag ?? ''), `etag ${r.etag} is not a multipart ETag`);
  const st = await mc.statObject(BUCKET, 'big/big.bin');
  check(st.size === data.length, `size ${st.size}`);
  check(st.metaData['content-type'] === 'application/x-big', `content-type ${st.metaData['content-type']}`);
  const got = await bytes('big/big.bin');
  check(sha256(got) === sha256(data), `downloaded ${got.length} bytes, different content`);
  // the same bytes from a file (fPutObject streams it)
  const file = join(SCRATCH, 'big.bin');
  await writeFile(file, data);
  const r2 = await mc.fPutObject(BUCKET, 'big/from-file.bin', file);
  check(/^[0-9a-f]{32}-\d+$/.test(r2.etag ?? ''), `fPutObject etag ${r2.etag} is not a multipart ETag`);
  const out = join(SCRATCH, 'big.out');
  await mc.fGetObject(BUCKET, 'big/from-file.bin', out);
  check(sha256(await readFile(out)) === sha256(data), 'fGetObject bytes differ');
});

await step('head-metadata', async () => {
  await mc.putObject(BUCKET, 'meta.txt', 'meta', 4, { 'Content-Type': 'text/x-strata; charset=utf-8', color: 'blue', 'X-Amz-Meta-Answer': '42' });
  const st = await mc.statObject(BUCKET, 'meta.txt');
  check(st.metaData['content-type'] === 'text/x-strata; charset=utf-8', `content-type ${st.metaData['content-type']}`);
  check(st.metaData.color === 'blue' && st.metaData.answer === '42', `metaData ${JSON.stringify(st.metaData)}`);
  check(st.size === 4 && st.etag === md5('meta'), `size ${st.size} etag ${st.etag}`);
  check(st.versionId, 'no version id on stat');
});

await step('list-v2', async () => {
  for (const k of LIST_KEYS) await mc.putObject(BUCKET, k, k);
  const r = await list(mc.listObjectsV2(BUCKET, 'list/', false));
  check(same(r.keys, ['list/a.txt', 'list/b.txt']), `keys ${r.keys}`);
  check(same(r.prefixes, ['list/sub/']), `prefixes ${r.prefixes}`);
  check(r.items.filter((o) => o.name).every((o) => o.size === 10), `sizes ${r.items.map((o) => o.size)}`);
  const all = await list(mc.listObjectsV2(BUCKET, 'list', true));
  check(same(all.keys, LIST_KEYS), `recursive ${all.keys}`);
  const after = await list(mc.listObjectsV2(BUCKET, 'list/', true, 'list/b.txt'));
  check(same(after.keys, ['list/sub/c.txt', 'list/sub/d.txt']), `startAfter ${after.keys}`);
});

await step('list-v1', async () => {
  const r = await list(mc.listObjects(BUCKET, 'list/', false));
  check(same(r.keys, ['list/a.txt', 'list/b.txt']), `keys ${r.keys}`);
  check(same(r.prefixes, ['list/sub/']), `prefixes ${r.prefixes}`);
  const all = await list(mc.listObjects(BUCKET, 'list', true));
  check(same(all.keys, LIST_KEYS), `recursive ${all.keys}`);
  // paging: minio-js follows NextMarker / the last key itself
  const paged = await list(mc.listObjects(BUCKET, 'list', true, { MaxKeys: 2 }));
  check(same(paged.keys, LIST_KEYS), `paged (MaxKeys=2) ${paged.keys}`);
});

await step('get-range', async () => {
  const got = await drain(await mc.getPartialObject(BUCKET, 'small.txt', 2, 4));
  check(got.equals(SMALL.subarray(2, 6)), `range body ${JSON.stringify(got.toString())}`);
  const tail = await drain(await mc.getPartialObject(BUCKET, 'small.txt', 10));
  check(tail.equals(SMALL.subarray(10)), `open range body ${JSON.stringify(tail.toString())}`);
});

await step('copy', async () => {
  // the old (v1) call form: "bucket/key" and CopyConditions
  const conds = new Minio.CopyConditions();
  conds.setMatchETag(md5('meta'));
  const r1 = await mc.copyObject(BUCKET, 'copy/meta-copy.txt', `/${BUCKET}/meta.txt`, conds);
  check(r1.etag === md5('meta'), `copy etag ${r1.etag}`);
  const st = await mc.statObject(BUCKET, 'copy/meta-copy.txt');
  check(st.metaData.color === 'blue' && st.metaData['content-type'] === 'text/x-strata; charset=utf-8', `copied metaData ${JSON.stringify(st.metaData)}`);
  check((await bytes('copy/meta-copy.txt')).toString() === 'meta', 'copied body differs');
  // a failing copy condition is refused (412)
  const bad = new Minio.CopyConditions();
  bad.setMatchETag('0123456789abcdef0123456789abcdef');
  await expectError(mc.copyObject(BUCKET, 'copy/never.txt', `/${BUCKET}/meta.txt`, bad), 'PreconditionFailed', 'copy with a wrong if-match');
  // the new call form with REPLACE metadata
  const r2 = await mc.copyObject(
    new Minio.CopySourceOptions({ Bucket: BUCKET, Object: 'meta.txt' }),
    new Minio.CopyDestinationOptions({ Bucket: BUCKET, Object: 'copy/replaced.txt', MetadataDirective: 'REPLACE', UserMetadata: { k: 'v' }, Headers: { 'Content-Type': 'text/plain' } }),
  );
  // (r2.Etag is taken from an ETag response header, which CopyObject does not send: S3 puts it in the XML)
  check(r2.Key === 'copy/replaced.txt', `copy (v2 form) answered ${JSON.stringify(r2)}`);
  const st2 = await mc.statObject(BUCKET, 'copy/replaced.txt');
  check(st2.metaData.k === 'v' && st2.metaData.color === undefined && st2.metaData['content-type'] === 'text/plain', `REPLACE gave ${JSON.stringify(st2.metaData)}`);
});

await step('delete', async () => {
  await mc.putObject(BUCKET, 'del/one.txt', 'x');
  await mc.removeObject(BUCKET, 'del/one.txt');
  await expectError(mc.statObject(BUCKET, 'del/one.txt'), 'NotFound', 'stat after delete');
  await expectError(mc.getObject(BUCKET, 'del/one.txt'), 'NoSuchKey', 'get after delete');
  const r = await list(mc.listObjectsV2(BUCKET, 'del/', true));
  check(r.keys.length === 0, `deleted key still listed: ${r.keys}`);
});

await step('multi-delete', async () => {
  const keys = ['mdel/1.txt', 'mdel/2.txt', 'mdel/3.txt'];
  for (const k of keys) await mc.putObject(BUCKET, k, k);
  const errors = await mc.removeObjects(BUCKET, keys.slice(0, 2));
  check(Array.isArray(errors) && errors.length === 0, `removeObjects answered ${JSON.stringify(errors)}`);
  const left = await list(mc.listObjectsV2(BUCKET, 'mdel/', true));
  check(same(left.keys, keys.slice(2)), `left after multi-delete: ${left.keys}`);
  const errors2 = await mc.removeObjects(BUCKET, [{ name: keys[2] }]);
  check(errors2.length === 0, `removeObjects answered ${JSON.stringify(errors2)}`);
  check((await list(mc.listObjectsV2(BUCKET, 'mdel/', true))).keys.length === 0, 'mdel/3.txt still listed');
});

async function presignedFetch(key) {
  const u = await mc.presignedGetObject(BUCKET, key, 300);
  check(u.includes('X-Amz-Signature='), `not a SigV4 URL: ${u}`);
  const res = await fetch(u);
  return { url: u, status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

await step('presign-get', async () => {
  const { url: u, status, body } = await presignedFetch('small.txt');
  check(status === 200 && body.equals(SMALL), `presigned GET ${status} ${JSON.stringify(body.toString())}`);
  const sig = new URL(u).searchParams.get('X-Amz-Signature');
  const bad = u.replace(sig, sig.slice(0, -1) + (sig.at(-1) === '0' ? '1' : '0'));
  const res = await fetch(bad);
  check(res.status === 403, `tampered presigned URL: HTTP ${res.status}`);
  const { status: s2, body: b2 } = await presignedFetch('big/big.bin');
  check(s2 === 200 && b2.length === 12 * MiB, `presigned GET of the multipart object ${s2} ${b2.length} bytes`);
});

await step('special-key', async () => {
  await mc.putObject(BUCKET, SPECIAL, SPECIAL_DATA);
  const v2 = await list(mc.listObjectsV2(BUCKET, 'dir/', true));
  check(same(v2.keys, [SPECIAL]), `listObjectsV2 ${JSON.stringify(v2.keys)}`);
  const v1 = await list(mc.listObjects(BUCKET, 'dir/a b+', true));
  check(same(v1.keys, [SPECIAL]), `listObjects ${JSON.stringify(v1.keys)}`);
  check((await bytes(SPECIAL)).equals(SPECIAL_DATA), 'body differs');
  const st = await mc.statObject(BUCKET, SPECIAL);
  check(st.size === SPECIAL_DATA.length, `stat size ${st.size}`);
  const { status, body } = await presignedFetch(SPECIAL);
  check(status === 200 && body.equals(SPECIAL_DATA), `presigned GET of special key ${status}`);
  await mc.copyObject(new Minio.CopySourceOptions({ Bucket: BUCKET, Object: SPECIAL }), new Minio.CopyDestinationOptions({ Bucket: BUCKET, Object: 'dir/copy of special' }));
  check((await bytes('dir/copy of special')).equals(SPECIAL_DATA), 'copy of special key differs');
});

await step('old-version', async () => {
  const r1 = await mc.putObject(BUCKET, 'ver.txt', 'first');
  const r2 = await mc.putObject(BUCKET, 'ver.txt', 'second');
  check(r1.versionId && r2.versionId && r1.versionId !== r2.versionId, `version ids ${r1.versionId} ${r2.versionId}`);
  check((await bytes('ver.txt')).toString() === 'second', 'current content is not the second write');
  const old = (await bytes('ver.txt', { versionId: 'master^' })).toString();
  check(old === 'first', `versionId=master^ gave ${JSON.stringify(old)}`);
  const st = await mc.statObject(BUCKET, 'ver.txt', { versionId: r1.versionId });
  check(st.size === 5 && st.versionId === r1.versionId, `stat of ${r1.versionId}: size ${st.size} version ${st.versionId}`);
  // copy from the old version
  await mc.copyObject(new Minio.CopySourceOptions({ Bucket: BUCKET, Object: 'ver.txt', VersionID: r1.versionId }), new Minio.CopyDestinationOptions({ Bucket: BUCKET, Object: 'ver-first.txt' }));
  check((await bytes('ver-first.txt')).toString() === 'first', 'copy of the old version differs');
});

await step('wrong-secret', async () => {
  const bad = client(TOKEN.split('').reverse().join('') + 'x');
  await expectError(bad.putObject(BUCKET, 'small.txt', 'evil'), 'SignatureDoesNotMatch', 'putObject');
  await expectError(bad.getObject(BUCKET, 'small.txt'), 'SignatureDoesNotMatch', 'getObject');
  // HEAD has no error body: minio-js names the status, and AccessDenied is its name for 403
  await expectError(bad.statObject(BUCKET, 'small.txt'), 'AccessDenied', 'statObject (HTTP 403)');
  await expectError(bad.removeObject(BUCKET, 'small.txt'), 'SignatureDoesNotMatch', 'removeObject');
  await expectError(list(bad.listObjectsV2(BUCKET, '', true)), 'SignatureDoesNotMatch', 'listObjectsV2');
  check((await bytes('small.txt')).equals(SMALL), 'small.txt changed after wrong-secret requests');
  const st = await mc.statObject(BUCKET, 'small.txt');
  check(st.etag === md5(SMALL), `small.txt etag ${st.etag}`);
});

process.exit(failures ? 1 : 0);
