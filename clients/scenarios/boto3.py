#!/usr/bin/python3
# Real-client scenario: boto3 (Debian's python3-boto3) against Strata. See clients/CONTRACT.md.
# Steps print `ok <step>` / `not ok <step>: <reason>` on stdout; client chatter goes to stderr.
# Set STRATA_DEBUG=1 to get botocore's wire-level debug log on stderr.
import hashlib
import os
import sys
import traceback
import urllib.error
import urllib.request

ENDPOINT = os.environ.get("STRATA_ENDPOINT", "")
TOKEN = os.environ.get("STRATA_TOKEN", "")
BUCKET = os.environ.get("STRATA_BUCKET", "")
SCRATCH = os.environ.get("SCRATCH", "")

if not (ENDPOINT and TOKEN and BUCKET and SCRATCH):
    print("not ok setup: STRATA_ENDPOINT, STRATA_TOKEN, STRATA_BUCKET and SCRATCH must be set")
    sys.exit(1)

# Keep the client away from this machine's AWS configuration.
for var in list(os.environ):
    if var.startswith("AWS_"):
        del os.environ[var]
os.environ["HOME"] = SCRATCH
os.environ["AWS_CONFIG_FILE"] = os.path.join(SCRATCH, "aws-config")
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(SCRATCH, "aws-credentials")

# This file is named boto3.py: keep its own directory off sys.path so `import boto3` finds the library.
_here = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.getcwd()) != _here]

try:
    import boto3
    import botocore
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError as e:
    print(f"skip: python3-boto3 is not installed ({e})")
    sys.exit(77)

if os.environ.get("STRATA_DEBUG"):
    boto3.set_stream_logger("botocore", 10)  # DEBUG, to stderr

MiB = 1024 * 1024
failures = 0


def client(sig="s3v4", secret=TOKEN):
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id=TOKEN,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, signature_version=sig,
                      retries={"max_attempts": 1, "mode": "standard"}),
    )


def step(name, fn):
    global failures
    try:
        fn()
        print(f"ok {name}", flush=True)
    except Exception as e:  # noqa: BLE001 - every failure is a reported step
        failures += 1
        reason = describe(e).replace("\n", " ")
        print(f"not ok {name}: {reason}", flush=True)
        traceback.print_exc(file=sys.stderr)


def describe(e):
    if isinstance(e, ClientError):
        meta = e.response.get("ResponseMetadata", {})
        err = e.response.get("Error", {})
        return (f"{e.operation_name} -> HTTP {meta.get('HTTPStatusCode')} "
                f"{err.get('Code')}: {err.get('Message')}")
    return f"{type(e).__name__}: {e}"


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def status_of(e):
    return e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def body(s3, key, **kw):
    return s3.get_object(Bucket=BUCKET, Key=key, **kw)["Body"].read()


def http_get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.read()


s3 = client()
SMALL = b"hello strata\n"

# ---- SigV4 -----------------------------------------------------------------


def create_bucket():
    s3.create_bucket(Bucket=BUCKET)
    s3.head_bucket(Bucket=BUCKET)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    check(BUCKET in names, f"{BUCKET} not in ListBuckets: {names}")


def put_small():
    r = s3.put_object(Bucket=BUCKET, Key="small.txt", Body=SMALL)
    etag = r["ETag"].strip('"')
    check(etag == hashlib.md5(SMALL).hexdigest(), f"ETag {r['ETag']} is not the MD5")
    got = body(s3, "small.txt")
    check(got == SMALL, f"read back {got!r}")


def put_multipart():
    path = os.path.join(SCRATCH, "big.bin")
    data = os.urandom(12 * MiB)
    with open(path, "wb") as f:
        f.write(data)
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    s3.upload_file(path, BUCKET, "big/big.bin", Config=cfg)
    h = s3.head_object(Bucket=BUCKET, Key="big/big.bin")
    check(h["ContentLength"] == len(data), f"ContentLength {h['ContentLength']}")
    check(h["ETag"].strip('"').endswith("-3"), f"ETag {h['ETag']} is not a 3-part multipart ETag")
    out = os.path.join(SCRATCH, "big.out")
    s3.download_file(BUCKET, "big/big.bin", out, Config=cfg)
    with open(out, "rb") as f:
        got = f.read()
    check(hashlib.sha256(got).digest() == hashlib.sha256(data).digest(), "downloaded bytes differ")


def head_metadata():
    s3.put_object(Bucket=BUCKET, Key="meta.txt", Body=b"meta", ContentType="text/x-strata; charset=utf-8",
                  Metadata={"color": "blue", "answer": "42"})
    h = s3.head_object(Bucket=BUCKET, Key="meta.txt")
    check(h["ContentType"] == "text/x-strata; charset=utf-8", f"ContentType {h['ContentType']!r}")
    check(h["Metadata"] == {"color": "blue", "answer": "42"}, f"Metadata {h['Metadata']}")
    check(h["ContentLength"] == 4, f"ContentLength {h['ContentLength']}")
    check(h.get("VersionId"), "no VersionId on HEAD")


LIST_KEYS = ["list/a.txt", "list/b.txt", "list/sub/c.txt", "list/sub/d.txt", "listx.txt"]


def put_list_keys():
    for k in LIST_KEYS:
        s3.put_object(Bucket=BUCKET, Key=k, Body=k.encode())


def list_v1():
    put_list_keys()
    r = s3.list_objects(Bucket=BUCKET, Prefix="list/", Delimiter="/")
    keys = [o["Key"] for o in r.get("Contents", [])]
    prefixes = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
    check(keys == ["list/a.txt", "list/b.txt"], f"Contents {keys}")
    check(prefixes == ["list/sub/"], f"CommonPrefixes {prefixes}")
    check(r["Prefix"] == "list/" and r["Delimiter"] == "/", f"Prefix/Delimiter echoed as {r.get('Prefix')!r}/{r.get('Delimiter')!r}")
    sizes = {o["Key"]: o["Size"] for o in r["Contents"]}
    check(sizes == {"list/a.txt": 10, "list/b.txt": 10}, f"sizes {sizes}")
    # paging with Marker
    r = s3.list_objects(Bucket=BUCKET, Prefix="list/", MaxKeys=2)
    check(r["IsTruncated"], "MaxKeys=2 of 4 not truncated")
    first = [o["Key"] for o in r["Contents"]]
    r2 = s3.list_objects(Bucket=BUCKET, Prefix="list/", Marker=first[-1])
    rest = [o["Key"] for o in r2["Contents"]]
    check(first + rest == LIST_KEYS[:4], f"paged listing {first} + {rest}")


def list_v2():
    r = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/", Delimiter="/")
    keys = [o["Key"] for o in r.get("Contents", [])]
    prefixes = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
    check(keys == ["list/a.txt", "list/b.txt"], f"Contents {keys}")
    check(prefixes == ["list/sub/"], f"CommonPrefixes {prefixes}")
    check(r["KeyCount"] == 3, f"KeyCount {r['KeyCount']}")
    # paging with continuation tokens, through the paginator
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="list", PaginationConfig={"PageSize": 2})
    seen = [o["Key"] for p in pages for o in p.get("Contents", [])]
    check(seen == LIST_KEYS, f"paginated {seen}")
    r = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/", StartAfter="list/b.txt")
    keys = [o["Key"] for o in r.get("Contents", [])]
    check(keys == ["list/sub/c.txt", "list/sub/d.txt"], f"StartAfter {keys}")


def get_range():
    r = s3.get_object(Bucket=BUCKET, Key="small.txt", Range="bytes=2-5")
    got = r["Body"].read()
    check(r["ResponseMetadata"]["HTTPStatusCode"] == 206, f"status {r['ResponseMetadata']['HTTPStatusCode']}")
    check(got == SMALL[2:6], f"range body {got!r}")
    check(r["ContentRange"] == f"bytes 2-5/{len(SMALL)}", f"ContentRange {r['ContentRange']!r}")
    r = s3.get_object(Bucket=BUCKET, Key="small.txt", Range="bytes=-3")
    got = r["Body"].read()
    check(got == SMALL[-3:], f"suffix range body {got!r}")


def copy():
    r = s3.copy_object(Bucket=BUCKET, Key="copy/meta-copy.txt", CopySource={"Bucket": BUCKET, "Key": "meta.txt"})
    check(r["CopyObjectResult"]["ETag"].strip('"') == hashlib.md5(b"meta").hexdigest(), f"copy ETag {r['CopyObjectResult']['ETag']}")
    h = s3.head_object(Bucket=BUCKET, Key="copy/meta-copy.txt")
    check(h["Metadata"] == {"color": "blue", "answer": "42"}, f"copied Metadata {h['Metadata']}")
    check(h["ContentType"] == "text/x-strata; charset=utf-8", f"copied ContentType {h['ContentType']!r}")
    check(body(s3, "copy/meta-copy.txt") == b"meta", "copied body differs")
    s3.copy_object(Bucket=BUCKET, Key="copy/replaced.txt", CopySource={"Bucket": BUCKET, "Key": "meta.txt"},
                   MetadataDirective="REPLACE", ContentType="text/plain", Metadata={"k": "v"})
    h = s3.head_object(Bucket=BUCKET, Key="copy/replaced.txt")
    check(h["Metadata"] == {"k": "v"} and h["ContentType"] == "text/plain", f"REPLACE gave {h['Metadata']} {h['ContentType']}")


def delete():
    s3.put_object(Bucket=BUCKET, Key="del/one.txt", Body=b"x")
    s3.delete_object(Bucket=BUCKET, Key="del/one.txt")
    try:
        s3.head_object(Bucket=BUCKET, Key="del/one.txt")
        raise AssertionError("HEAD after delete succeeded")
    except ClientError as e:
        check(status_of(e) == 404, f"HEAD after delete: {describe(e)}")
    r = s3.list_objects_v2(Bucket=BUCKET, Prefix="del/")
    check(r["KeyCount"] == 0, f"deleted key still listed: {r.get('Contents')}")


def multi_delete():
    keys = ["mdel/1.txt", "mdel/2.txt", "mdel/3.txt"]
    for k in keys:
        s3.put_object(Bucket=BUCKET, Key=k, Body=k.encode())
    r = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys[:2]]})
    deleted = sorted(d["Key"] for d in r.get("Deleted", []))
    check(deleted == keys[:2], f"Deleted {deleted}, Errors {r.get('Errors')}")
    check(not r.get("Errors"), f"Errors {r.get('Errors')}")
    left = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="mdel/").get("Contents", [])]
    check(left == keys[2:], f"left after multi-delete: {left}")
    r = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": keys[2]}], "Quiet": True})
    check(not r.get("Deleted") and not r.get("Errors"), f"quiet answer {r.get('Deleted')} {r.get('Errors')}")


def presign_get():
    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "small.txt"}, ExpiresIn=300)
    check("X-Amz-Signature=" in url, f"not a SigV4 URL: {url}")
    status, got = http_get(url)
    check(status == 200 and got == SMALL, f"presigned GET {status} {got!r}")
    # the same URL with one hex digit of the signature changed is refused
    sig = url.split("X-Amz-Signature=")[1].split("&")[0]
    bad = url.replace(sig, sig[:-1] + ("0" if sig[-1] != "0" else "1"))
    try:
        http_get(bad)
        raise AssertionError("tampered presigned URL accepted")
    except urllib.error.HTTPError as e:
        check(e.code == 403, f"tampered presigned URL: HTTP {e.code}")


SPECIAL = "dir/a b+c&d=e-é.txt"


def special_key():
    data = "spécial\n".encode()
    s3.put_object(Bucket=BUCKET, Key=SPECIAL, Body=data)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="dir/").get("Contents", [])]
    check(keys == [SPECIAL], f"list v2 {keys!r}")
    keys = [o["Key"] for o in s3.list_objects(Bucket=BUCKET, Prefix="dir/a b+").get("Contents", [])]
    check(keys == [SPECIAL], f"list v1 {keys!r}")
    check(body(s3, SPECIAL) == data, "body differs")
    h = s3.head_object(Bucket=BUCKET, Key=SPECIAL)
    check(h["ContentLength"] == len(data), f"ContentLength {h['ContentLength']}")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": SPECIAL}, ExpiresIn=300)
    status, got = http_get(url)
    check(got == data, f"presigned GET of special key {status} {got!r}")


def old_version():
    r1 = s3.put_object(Bucket=BUCKET, Key="ver.txt", Body=b"first")
    r2 = s3.put_object(Bucket=BUCKET, Key="ver.txt", Body=b"second")
    v1, v2 = r1.get("VersionId"), r2.get("VersionId")
    check(v1 and v2 and v1 != v2, f"version ids {v1!r} {v2!r}")
    check(body(s3, "ver.txt") == b"second", "current content is not the second write")
    got = body(s3, "ver.txt", VersionId="master^")
    check(got == b"first", f"versionId=master^ gave {got!r}")
    r = s3.get_object(Bucket=BUCKET, Key="ver.txt", VersionId=v1)
    got = r["Body"].read()
    check(got == b"first", f"versionId={v1} gave {got!r}")
    check(r.get("VersionId") == v1, f"GET answered VersionId {r.get('VersionId')!r}")
    h = s3.head_object(Bucket=BUCKET, Key="ver.txt", VersionId="master^")
    check(h["ContentLength"] == 5, f"HEAD master^ ContentLength {h['ContentLength']}")


def wrong_secret():
    bad = client(secret=TOKEN[::-1] + "x")
    for what, call in (
        ("PutObject", lambda: bad.put_object(Bucket=BUCKET, Key="small.txt", Body=b"evil")),
        ("GetObject", lambda: bad.get_object(Bucket=BUCKET, Key="small.txt")),
        ("DeleteObject", lambda: bad.delete_object(Bucket=BUCKET, Key="small.txt")),
        ("ListObjectsV2", lambda: bad.list_objects_v2(Bucket=BUCKET)),
    ):
        try:
            call()
            raise AssertionError(f"{what} with a wrong secret succeeded")
        except ClientError as e:
            check(status_of(e) == 403, f"{what}: {describe(e)}")
            code = e.response.get("Error", {}).get("Code")
            check(code == "SignatureDoesNotMatch", f"{what}: error code {code}")
    check(body(s3, "small.txt") == SMALL, "small.txt changed after wrong-secret requests")


# ---- SigV2 (signature_version='s3') -------------------------------------------

s3v2 = client(sig="s3")
V2 = b"written with SigV2\n"


def v2_put():
    r = s3v2.put_object(Bucket=BUCKET, Key="v2/obj.txt", Body=V2, ContentType="text/plain", Metadata={"sig": "v2"})
    check(r["ETag"].strip('"') == hashlib.md5(V2).hexdigest(), f"ETag {r['ETag']}")
    h = s3.head_object(Bucket=BUCKET, Key="v2/obj.txt")
    check(h["Metadata"] == {"sig": "v2"} and h["ContentType"] == "text/plain", f"head {h['Metadata']} {h['ContentType']}")


def v2_get():
    check(body(s3v2, "v2/obj.txt") == V2, "body differs")
    r = s3v2.get_object(Bucket=BUCKET, Key="v2/obj.txt", Range="bytes=0-6")
    check(r["Body"].read() == V2[:7], "range body differs")
    check(body(s3v2, SPECIAL) == "spécial\n".encode(), "special key body differs")
    h = s3v2.head_object(Bucket=BUCKET, Key="v2/obj.txt")
    check(h["Metadata"] == {"sig": "v2"}, f"head {h['Metadata']}")


def v2_list():
    # botocore (boto/boto3#4433) signs a path-style ListObjectsV2 with SigV2 over
    # "/<bucket>?list-type=2"; Strata accepts that form, so both list calls are exercised.
    r = s3v2.list_objects(Bucket=BUCKET, Prefix="list/", Delimiter="/")
    keys = [o["Key"] for o in r.get("Contents", [])]
    prefixes = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
    check(keys == ["list/a.txt", "list/b.txt"] and prefixes == ["list/sub/"], f"delimiter listing {keys} {prefixes}")
    r = s3v2.list_objects_v2(Bucket=BUCKET, Prefix="list/", Delimiter="/")
    keys = [o["Key"] for o in r.get("Contents", [])]
    check(keys == ["list/a.txt", "list/b.txt"], f"v2 delimiter listing {keys}")
    r = s3v2.list_objects(Bucket=BUCKET, Prefix="v2/")
    keys = [o["Key"] for o in r.get("Contents", [])]
    check(keys == ["v2/obj.txt"], f"prefix listing {keys}")
    r = s3v2.list_objects(Bucket=BUCKET, Prefix="dir/")
    keys = [o["Key"] for o in r.get("Contents", [])]
    check(keys == [SPECIAL], f"special-key listing {keys!r}")
    names = [b["Name"] for b in s3v2.list_buckets()["Buckets"]]
    check(BUCKET in names, f"ListBuckets {names}")


def v2_presign_get():
    url = s3v2.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "v2/obj.txt"}, ExpiresIn=300)
    check("Signature=" in url and "AWSAccessKeyId=" in url, f"not a SigV2 URL: {url}")
    status, got = http_get(url)
    check(status == 200 and got == V2, f"presigned GET {status} {got!r}")
    url = s3v2.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": SPECIAL}, ExpiresIn=300)
    status, got = http_get(url)
    check(got == "spécial\n".encode(), f"presigned GET of special key {status} {got!r}")


def v2_wrong_secret():
    bad = client(sig="s3", secret=TOKEN[::-1] + "x")
    try:
        bad.put_object(Bucket=BUCKET, Key="v2/obj.txt", Body=b"evil")
        raise AssertionError("SigV2 PutObject with a wrong secret succeeded")
    except ClientError as e:
        check(status_of(e) == 403, f"PutObject: {describe(e)}")
    check(body(s3, "v2/obj.txt") == V2, "v2/obj.txt changed")


def presign_post():
    """A browser-style form upload: boto3 signs a POST policy, the form is sent as multipart/form-data."""
    post = s3.generate_presigned_post(BUCKET, "forms/${filename}", Fields={"x-amz-meta-via": "form"},
                                      Conditions=[{"x-amz-meta-via": "form"}, ["content-length-range", 1, 1024]], ExpiresIn=300)
    data = b"posted from a form\n"
    boundary = "----strata" + hashlib.md5(data).hexdigest()
    parts = []
    for k, v in post["fields"].items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\n'
                 f"Content-Type: text/plain\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    req = urllib.request.Request(post["url"], data=b"".join(parts), method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        check(r.status == 204, f"POST answered {r.status}")
    got = s3.get_object(Bucket=BUCKET, Key="forms/note.txt")
    check(got["Body"].read() == data, "posted file differs")
    check(got["Metadata"].get("via") == "form", f"metadata {got['Metadata']}")
    # Over the policy's size limit: refused, nothing stored.
    big = b"x" * 2048
    parts[-2] = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n'.encode() + big + b"\r\n")
    req = urllib.request.Request(post["url"], data=b"".join(parts), method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        urllib.request.urlopen(req, timeout=30)
        raise AssertionError("oversized POST accepted")
    except urllib.error.HTTPError as e:
        check(e.code == 400 and b"EntityTooLarge" in e.read(), f"oversized POST: HTTP {e.code}")
    try:
        s3.head_object(Bucket=BUCKET, Key="forms/big.txt")
        raise AssertionError("oversized POST was stored")
    except ClientError as e:
        check(status_of(e) == 404, describe(e))


def delete_version():
    """A version deleted by id is gone for good; the one before it is current again."""
    v1 = s3.put_object(Bucket=BUCKET, Key="purge/k.txt", Body=b"keep")["VersionId"]
    v2 = s3.put_object(Bucket=BUCKET, Key="purge/k.txt", Body=b"mistake")["VersionId"]
    r = s3.delete_object(Bucket=BUCKET, Key="purge/k.txt", VersionId=v2)
    check(r.get("VersionId") == v2, f"answer {r}")
    check(body(s3, "purge/k.txt") == b"keep", "previous version is not current")
    versions = [v["VersionId"] for v in s3.list_object_versions(Bucket=BUCKET, Prefix="purge/").get("Versions", [])]
    check(versions == [v1], f"versions after the delete: {versions}")
    try:
        body(s3, "purge/k.txt", VersionId=v2)
        raise AssertionError("deleted version still readable")
    except ClientError as e:
        check(status_of(e) == 404, describe(e))


STEPS = [
    ("create-bucket", create_bucket),
    ("put-small", put_small),
    ("put-multipart", put_multipart),
    ("head-metadata", head_metadata),
    ("list-v1", list_v1),
    ("list-v2", list_v2),
    ("get-range", get_range),
    ("copy", copy),
    ("delete", delete),
    ("multi-delete", multi_delete),
    ("presign-get", presign_get),
    ("presign-post", presign_post),
    ("delete-version", delete_version),
    ("special-key", special_key),
    ("old-version", old_version),
    ("wrong-secret", wrong_secret),
    ("v2-put", v2_put),
    ("v2-get", v2_get),
    ("v2-list", v2_list),
    ("v2-presign-get", v2_presign_get),
    ("v2-wrong-secret", v2_wrong_secret),
]

print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}, bucket {BUCKET}", file=sys.stderr)
for name, fn in STEPS:
    step(name, fn)
sys.exit(1 if failures else 0)
