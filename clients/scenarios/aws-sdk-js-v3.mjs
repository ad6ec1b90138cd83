#!/usr/bin/env node
// Real-client scenario: AWS SDK for JavaScript v3 (@aws-sdk/client-s3, lib-storage, s3-request-presigner)
// against Strata. See clients/CONTRACT.md. The SDK's defaults are kept on purpose: it sends
// x-amz-checksum-crc32 on writes and aws-chunked bodies with checksum trailers for streams.
// Packages come from clients/js/node_modules (npm ci there); resolved from this file's location.
// STRATA_DEBUG=1 logs every request and response head to stderr.
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';

const { STRATA_ENDPOINT: ENDPOINT, STRATA_TOKEN: TOKEN, STRATA_BUCKET: BUCKET, SCRATCH } = process.env;
if (!ENDPOINT || !TOKEN || !BUCKET || !SCRATCH) {
  console.log('not ok setup: STRATA_ENDPOINT, STRATA_TOKEN, STRATA_BUCKET and SCRATCH must be set');
  process.exit(1);
}
// Keep the SDK away from this machine's AWS configuration.
for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
process.env.HOME = SCRATCH;

const require = createRequire(new URL('../js/package.json', import.meta.url));
let S3, Upload, getSignedUrl;
try {
  S3 = require('@aws-sdk/client-s3');
  ({ Upload } = require('@aws-sdk/lib-storage'));
  ({ getSignedUrl } = require('@aws-sdk/s3-request-presigner'));
} catch (e) {
  console.log(`skip: @aws-sdk packages are not installed (run npm ci in clients/js): ${e.code ?? e.message}`);
  process.exit(77);
}
const {
  S3Client, CreateBucketCommand, HeadBucketCommand, ListBucketsCommand, PutObjectCommand, GetObjectCommand,
  HeadObjectCommand, ListObjectsCommand, ListObjectsV2Command, CopyObjectCommand, DeleteObjectCommand,
  DeleteObjectsCommand, paginateListObjectsV2,
} = S3;

const MiB = 1024 * 1024;
const md5 = (b) => createHash('md5').update(b).digest('hex');
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

function client(secret = TOKEN) {
  const c = new S3Client({
    endpoint: ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: TOKEN, secretAccessKey: secret },
    maxAttempts: 1,
  });
  if (process.env.STRATA_DEBUG) {
    c.middlewareStack.add((next) => async (args) => {
      const r = args.request;
      console.error(`>>> ${r.method} ${r.path}${r.query ? '?' + new URLSearchParams(Object.entries(r.query).flatMap(([k, v]) => (v == null ? [[k, '']] : [].concat(v).map((x) => [k, x])))) : ''}`);
      console.error('>>> headers', JSON.stringify(r.headers));
      const out = await next(args);
      console.error(`<<< ${out.response.statusCode}`, JSON.stringify(out.response.headers));
      return out;
    }, { step: 'finalizeRequest', priority: 'low', name: 'strataDebug' });
  }
  return c;
}

const s3 = client();
const send = (cmd, c = s3) => c.send(cmd);
let failures = 0;

function describe(e) {
  if (e?.$metadata) return `${e.name} (HTTP ${e.$metadata.httpStatusCode}): ${e.message}`;
  return `${e?.name ?? 'Error'}: ${e?.message ?? e}`;
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
async function bytes(key, extra = {}, c = s3) {
  const r = await send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ...extra }), c);
  return Buffer.from(await r.Body.transformToByteArray());
}
async function expectError(promise, status, code, what) {
  try {
    await promise;
  } catch (e) {
    check(e?.$metadata?.httpStatusCode === status, `${what}: expected HTTP ${status}, got ${describe(e)}`);
    if (code) check(e.name === code, `${what}: expected ${code}, got ${e.name}`);
    return e;
  }
  throw new Error(`${what} succeeded, expected HTTP ${status}`);
}
const keysOf = (r) => (r.Contents ?? []).map((o) => o.Key);
const prefixesOf = (r) => (r.CommonPrefixes ?? []).map((p) => p.Prefix);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

const SMALL = Buffer.from('hello strata\n');
const SPECIAL = 'dir/a b+c&d=e-é.txt';
const SPECIAL_DATA = Buffer.from('spécial\n');
const LIST_KEYS = ['list/a.txt', 'list/b.txt', 'list/sub/c.txt', 'list/sub/d.txt', 'listx.txt'];
const META = { color: 'blue', answer: '42' };

await step('create-bucket', async () => {
  await send(new CreateBucketCommand({ Bucket: BUCKET }));
  await send(new HeadBucketCommand({ Bucket: BUCKET }));
  const names = (await send(new ListBucketsCommand({}))).Buckets.map((b) => b.Name);
  check(names.includes(BUCKET), `${BUCKET} not in ListBuckets: ${names}`);
});

await step('put-small', async () => {
  const r = await send(new PutObjectCommand({ Bucket: BUCKET, Key: 'small.txt', Body: SMALL }));
  check(r.ETag === `"${md5(SMALL)}"`, `ETag ${r.ETag} is not the MD5`);
  check(r.ChecksumCRC32, 'no x-amz-checksum-crc32 in the answer to a PUT that sent one');
  const got = await bytes('small.txt');
  check(got.equals(SMALL), `read back ${JSON.stringify(got.toString())}`);
});

await step('put-stream', async () => {
  // A stream body: the SDK sends it aws-chunked with an x-amz-checksum-crc32 trailer.
  const data = randomBytes(300 * 1024 + 7);
  const r = await send(new PutObjectCommand({
    Bucket: BUCKET, Key: 'stream.bin', Body: Readable.from([data.subarray(0, 100000), data.subarray(100000)]), ContentLength: data.length,
  }));
  check(r.ETag === `"${md5(data)}"`, `ETag ${r.ETag} is not the MD5`);
  const got = await bytes('stream.bin');
  check(sha256(got) === sha256(data), `read back ${got.length} bytes, different content`);
});

await step('put-multipart', async () => {
  const data = randomBytes(12 * MiB);
  const up = new Upload({ client: s3, params: { Bucket: BUCKET, Key: 'big/big.bin', Body: data }, partSize: 5 * MiB, queueSize: 2 });
  const r = await up.done();
  check(/-3"?$/.test(r.ETag ?? ''), `ETag ${r.ETag} is not a 3-part multipart ETag`);
  const h = await send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'big/big.bin' }));
  check(h.ContentLength === data.length, `ContentLength ${h.ContentLength}`);
  const got = await bytes('big/big.bin');
  check(sha256(got) === sha256(data), `downloaded ${got.length} bytes, different content`);
});

await step('head-metadata', async () => {
  await send(new PutObjectCommand({ Bucket: BUCKET, Key: 'meta.txt', Body: 'meta', ContentType: 'text/x-strata; charset=utf-8', Metadata: META }));
  const h = await send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'meta.txt' }));
  check(h.ContentType === 'text/x-strata; charset=utf-8', `ContentType ${h.ContentType}`);
  check(same(h.Metadata, { answer: '42', color: 'blue' }) || same(h.Metadata, META), `Metadata ${JSON.stringify(h.Metadata)}`);
  check(h.ContentLength === 4, `ContentLength ${h.ContentLength}`);
  check(h.VersionId, 'no VersionId on HEAD');
});

await step('list-v1', async () => {
  for (const k of LIST_KEYS) await send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: k }));
  const r = await send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: 'list/', Delimiter: '/' }));
  check(same(keysOf(r), ['list/a.txt', 'list/b.txt']), `Contents ${keysOf(r)}`);
  check(same(prefixesOf(r), ['list/sub/']), `CommonPrefixes ${prefixesOf(r)}`);
  check(r.Contents.every((o) => o.Size === 10), `sizes ${r.Contents.map((o) => o.Size)}`);
  const p1 = await send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: 'list/', MaxKeys: 2 }));
  check(p1.IsTruncated, 'MaxKeys=2 of 4 not truncated');
  const p2 = await send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: 'list/', Marker: keysOf(p1).at(-1) }));
  check(same([...keysOf(p1), ...keysOf(p2)], LIST_KEYS.slice(0, 4)), `paged ${keysOf(p1)} + ${keysOf(p2)}`);
});

await step('list-v2', async () => {
  const r = await send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/', Delimiter: '/' }));
  check(same(keysOf(r), ['list/a.txt', 'list/b.txt']), `Contents ${keysOf(r)}`);
  check(same(prefixesOf(r), ['list/sub/']), `CommonPrefixes ${prefixesOf(r)}`);
  check(r.KeyCount === 3, `KeyCount ${r.KeyCount}`);
  const seen = [];
  for await (const page of paginateListObjectsV2({ client: s3, pageSize: 2 }, { Bucket: BUCKET, Prefix: 'list' })) seen.push(...keysOf(page));
  check(same(seen, LIST_KEYS), `paginated ${seen}`);
  const sa = await send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/', StartAfter: 'list/b.txt' }));
  check(same(keysOf(sa), ['list/sub/c.txt', 'list/sub/d.txt']), `StartAfter ${keysOf(sa)}`);
});

await step('get-range', async () => {
  const r = await send(new GetObjectCommand({ Bucket: BUCKET, Key: 'small.txt', Range: 'bytes=2-5' }));
  const got = Buffer.from(await r.Body.transformToByteArray());
  check(r.$metadata.httpStatusCode === 206, `status ${r.$metadata.httpStatusCode}`);
  check(got.equals(SMALL.subarray(2, 6)), `range body ${JSON.stringify(got.toString())}`);
  check(r.ContentRange === `bytes 2-5/${SMALL.length}`, `ContentRange ${r.ContentRange}`);
  const suffix = await bytes('small.txt', { Range: 'bytes=-3' });
  check(suffix.equals(SMALL.subarray(-3)), `suffix range body ${JSON.stringify(suffix.toString())}`);
});

await step('copy', async () => {
  const r = await send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy/meta-copy.txt', CopySource: `${BUCKET}/meta.txt` }));
  check(r.CopyObjectResult?.ETag === `"${md5('meta')}"`, `copy ETag ${r.CopyObjectResult?.ETag}`);
  const h = await send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'copy/meta-copy.txt' }));
  check(h.Metadata?.color === 'blue' && h.Metadata?.answer === '42', `copied Metadata ${JSON.stringify(h.Metadata)}`);
  check(h.ContentType === 'text/x-strata; charset=utf-8', `copied ContentType ${h.ContentType}`);
  check((await bytes('copy/meta-copy.txt')).toString() === 'meta', 'copied body differs');
  await send(new CopyObjectCommand({
    Bucket: BUCKET, Key: 'copy/replaced.txt', CopySource: `${BUCKET}/meta.txt`, MetadataDirective: 'REPLACE', ContentType: 'text/plain', Metadata: { k: 'v' },
  }));
  const h2 = await send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'copy/replaced.txt' }));
  check(same(h2.Metadata, { k: 'v' }) && h2.ContentType === 'text/plain', `REPLACE gave ${JSON.stringify(h2.Metadata)} ${h2.ContentType}`);
});

await step('delete', async () => {
  await send(new PutObjectCommand({ Bucket: BUCKET, Key: 'del/one.txt', Body: 'x' }));
  await send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'del/one.txt' }));
  await expectError(send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'del/one.txt' })), 404, null, 'HEAD after delete');
  await expectError(send(new GetObjectCommand({ Bucket: BUCKET, Key: 'del/one.txt' })), 404, 'NoSuchKey', 'GET after delete');
  const r = await send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'del/' }));
  check(r.KeyCount === 0, `deleted key still listed: ${keysOf(r)}`);
});

await step('multi-delete', async () => {
  const keys = ['mdel/1.txt', 'mdel/2.txt', 'mdel/3.txt'];
  for (const k of keys) await send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: k }));
  const r = await send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys.slice(0, 2).map((Key) => ({ Key })) } }));
  const deleted = (r.Deleted ?? []).map((d) => d.Key).sort();
  check(same(deleted, keys.slice(0, 2)), `Deleted ${deleted}, Errors ${JSON.stringify(r.Errors)}`);
  check(!r.Errors?.length, `Errors ${JSON.stringify(r.Errors)}`);
  const left = keysOf(await send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'mdel/' })));
  check(same(left, keys.slice(2)), `left after multi-delete: ${left}`);
  const q = await send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: keys[2] }], Quiet: true } }));
  check(!q.Deleted?.length && !q.Errors?.length, `quiet answer ${JSON.stringify(q.Deleted)} ${JSON.stringify(q.Errors)}`);
});

async function presignedFetch(key) {
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 300 });
  check(url.includes('X-Amz-Signature='), `not a SigV4 URL: ${url}`);
  const res = await fetch(url);
  return { url, status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

await step('presign-get', async () => {
  const { url, status, body } = await presignedFetch('small.txt');
  check(status === 200 && body.equals(SMALL), `presigned GET ${status} ${JSON.stringify(body.toString())}`);
  const sig = new URL(url).searchParams.get('X-Amz-Signature');
  const bad = url.replace(sig, sig.slice(0, -1) + (sig.at(-1) === '0' ? '1' : '0'));
  const res = await fetch(bad);
  check(res.status === 403, `tampered presigned URL: HTTP ${res.status}`);
});

await step('special-key', async () => {
  await send(new PutObjectCommand({ Bucket: BUCKET, Key: SPECIAL, Body: SPECIAL_DATA }));
  const v2 = keysOf(await send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'dir/' })));
  check(same(v2, [SPECIAL]), `list v2 ${JSON.stringify(v2)}`);
  const v1 = keysOf(await send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: 'dir/a b+' })));
  check(same(v1, [SPECIAL]), `list v1 ${JSON.stringify(v1)}`);
  check((await bytes(SPECIAL)).equals(SPECIAL_DATA), 'body differs');
  const { status, body } = await presignedFetch(SPECIAL);
  check(status === 200 && body.equals(SPECIAL_DATA), `presigned GET of special key ${status}`);
  await send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'dir/copy of special', CopySource: `${BUCKET}/${encodeURIComponent(SPECIAL).replace(/%2F/g, '/')}` }));
  check((await bytes('dir/copy of special')).equals(SPECIAL_DATA), 'copy of special key differs');
});

await step('old-version', async () => {
  const r1 = await send(new PutObjectCommand({ Bucket: BUCKET, Key: 'ver.txt', Body: 'first' }));
  const r2 = await send(new PutObjectCommand({ Bucket: BUCKET, Key: 'ver.txt', Body: 'second' }));
  check(r1.VersionId && r2.VersionId && r1.VersionId !== r2.VersionId, `version ids ${r1.VersionId} ${r2.VersionId}`);
  check((await bytes('ver.txt')).toString() === 'second', 'current content is not the second write');
  const old = (await bytes('ver.txt', { VersionId: 'master^' })).toString();
  check(old === 'first', `versionId=master^ gave ${JSON.stringify(old)}`);
  const byId = await send(new GetObjectCommand({ Bucket: BUCKET, Key: 'ver.txt', VersionId: r1.VersionId }));
  check((await byId.Body.transformToString()) === 'first', `versionId=${r1.VersionId} differs`);
  check(byId.VersionId === r1.VersionId, `GET answered VersionId ${byId.VersionId}`);
});

await step('wrong-secret', async () => {
  const bad = client(TOKEN.split('').reverse().join('') + 'x');
  await expectError(send(new PutObjectCommand({ Bucket: BUCKET, Key: 'small.txt', Body: 'evil' }), bad), 403, 'SignatureDoesNotMatch', 'PutObject');
  await expectError(send(new PutObjectCommand({ Bucket: BUCKET, Key: 'small.txt', Body: Readable.from([Buffer.from('evil stream')]), ContentLength: 11 }), bad), 403, 'SignatureDoesNotMatch', 'streamed PutObject');
  await expectError(send(new GetObjectCommand({ Bucket: BUCKET, Key: 'small.txt' }), bad), 403, 'SignatureDoesNotMatch', 'GetObject');
  await expectError(send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'small.txt' }), bad), 403, 'SignatureDoesNotMatch', 'DeleteObject');
  await expectError(send(new ListObjectsV2Command({ Bucket: BUCKET }), bad), 403, 'SignatureDoesNotMatch', 'ListObjectsV2');
  check((await bytes('small.txt')).equals(SMALL), 'small.txt changed after wrong-secret requests');
});

s3.destroy();
process.exit(failures ? 1 : 0);
