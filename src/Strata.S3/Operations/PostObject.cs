using System.Globalization;
using Strata.Core;
using Strata.Core.Auth;
using Strata.Core.Tree;
using Strata.S3.Auth;
using Strata.S3.Errors;
using Strata.S3.Streaming;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>
/// PostObject: a browser upload, POST /bucket with a multipart/form-data form. The form's
/// fields authenticate it (a signed policy) and describe the object; the file part, which comes
/// last, is streamed into the store as PutObject's body is, and becomes one commit.
/// </summary>
public static class PostObject
{
    // Form fields stored with the object, as PutObject stores the same headers.
    private static readonly string[] StoredFields =
        ["content-type", "content-encoding", "content-disposition", "content-language", "cache-control", "expires", "x-amz-website-redirect-location"];

    public static async Task PostObjectAsync(S3Request r)
    {
        var boundary = PostForm.Boundary(r.Header("Content-Type"))
            ?? throw new S3Exception(S3ErrorCode.PreconditionFailed, "Bucket POST must be of the enclosure-type multipart/form-data");
        var bucket = r.WritableBucket;
        await r.OpenAsync().ConfigureAwait(false); // NoSuchBucket before reading the file
        var form = await PostForm.ReadAsync(r.Http.Request.Body, boundary, r.Ct).ConfigureAwait(false);
        var f = form.Fields;
        var key = f.GetValueOrDefault("key") ?? throw PostSignature.Missing("key");
        // ${filename} is the browser's name for the chosen file (without any client path).
        key = key.Replace("${filename}", Path.GetFileName((form.FileName ?? "").Replace('\\', '/')), StringComparison.Ordinal);
        if (key.Length == 0) throw new S3Exception(S3ErrorCode.InvalidArgument, "User key must have a length greater than 0.");
        PutObject.ValidateKey(key);

        // The policy's conditions see the key as it will be stored, and the bucket of the URL.
        var checkedFields = new Dictionary<string, string>(f, StringComparer.Ordinal) { ["key"] = key, ["bucket"] = r.BucketName! };
        var policyText = f.GetValueOrDefault("policy");
        PostPolicy? policy = null;
        if (policyText is null && PostSignature.Kind(f) is not null) throw PostSignature.Missing("Policy");
        if (policyText is not null)
        {
            if (r.Options.AuthEnabled)
            {
                if (PostSignature.Kind(f) is null) throw PostSignature.Missing("AWSAccessKeyId");
                r.Principal = await PostSignature.AuthenticateAsync(f, r.Access!, r.Ct).ConfigureAwait(false);
                await Tokens.NoteUseAsync(r.Access!, r.Principal, DateTimeOffset.UtcNow, r.Ct).ConfigureAwait(false);
            }
            policy = PostPolicy.Parse(policyText);
            policy.Check(checkedFields, DateTimeOffset.UtcNow);
        }
        else if (r.Options.AuthEnabled)
        {
            // An unsigned form writes only where anonymous writes are allowed (a repo granting everyone writer).
            r.Principal = Principal.Anonymous;
        }
        if (r.Options.AuthEnabled) await Authorizer.RequireAsync(r, bucket.Repo, RepoRole.Writer).ConfigureAwait(false);
        await CannedAcl.CheckObjectAsync(r, bucket.Repo, f.GetValueOrDefault("acl")).ConfigureAwait(false);
        // Strata does not encrypt per object: refusing is honest where ignoring would pretend.
        if (f.Keys.FirstOrDefault(k => k.StartsWith("x-amz-server-side-encryption", StringComparison.Ordinal)) is { } sse)
            throw new S3Exception(S3ErrorCode.NotImplemented, $"Strata does not support server-side encryption ({sse})");
        // The tagging field is a Tagging XML document, as PutObjectTagging's body; checked before the file is read.
        var tags = f.TryGetValue("tagging", out var tagging)
            ? Tags.FromXml(await XmlIn.ReadAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(tagging)), 64 << 10, r.Ct).ConfigureAwait(false), Tags.MaxObjectTags)
            : [];
        var headers = Headers(f, r.Options);

        var max = policy?.LengthRange?.Max;
        // x-amz-checksum-<algorithm> fields are verified against the file, as the headers of a PutObject are.
        var expected = f.Where(kv => ChecksumAlgorithms.FromHeaderName(kv.Key) is not null)
            .ToDictionary(kv => ChecksumAlgorithms.FromHeaderName(kv.Key)!.Value, kv => kv.Value);
        var hashing = new ChecksumStream(new CappedStream(form.File, max), expected.Keys);
        var content = await r.Store.Content.WriteAsync(hashing, r.Ct, inline: true).ConfigureAwait(false);
        policy?.CheckLength(content.Size);
        var checksums = new List<KeyValuePair<string, string>>();
        foreach (var (alg, want) in expected)
        {
            var actual = hashing.GetBase64(alg);
            if (want != actual) throw new S3Exception(S3ErrorCode.BadDigest, $"The {alg} you specified did not match the calculated checksum.");
            checksums.Add(new(alg.ToString(), actual));
        }
        var etag = "\"" + Convert.ToHexStringLower(content.Md5) + "\"";
        var commit = await r.Store.CommitAsync(bucket, ctx => Task.FromResult<IEnumerable<Mutation>>(
        [
            new Mutation(key, new FileEntry
            {
                Size = content.Size, ETag = etag, ContentHash = content.ContentHash, CommitId = ctx.Id, ModifiedUnixMs = ctx.TimeUnixMs,
                Chunks = content.Chunks, Headers = headers, Checksums = checksums,
            }) { Inline = content.Inline, Tags = tags },
        ]), $"post {key}", content.ReliesOnSince(r.Started), r.Ct).ConfigureAwait(false);
        await AnswerAsync(r, f, key, etag, commit?.Id, checksums).ConfigureAwait(false);
    }

    private static List<KeyValuePair<string, string>> Headers(Dictionary<string, string> f, S3Options o)
    {
        var list = new List<KeyValuePair<string, string>>();
        long metadata = 0;
        foreach (var (name, value) in f)
        {
            if (name.StartsWith("x-amz-meta-", StringComparison.Ordinal))
                metadata += name.Length - "x-amz-meta-".Length + System.Text.Encoding.UTF8.GetByteCount(value);
            else if (!StoredFields.Contains(name)) continue;
            list.Add(new(name, value));
        }
        if (metadata > o.MaxMetadataBytes)
            throw new S3Exception(S3ErrorCode.MetadataTooLarge, $"Your metadata fields are {metadata} bytes; the limit is {o.MaxMetadataBytes}.");
        if (!list.Any(kv => kv.Key == "content-type")) list.Add(new("content-type", ObjectHeaders.DefaultContentType));
        list.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return list;
    }

    /// <summary>success_action_redirect: 303 to it; success_action_status 200 or 201 (with PostResponse); else 204.</summary>
    private static async Task AnswerAsync(S3Request r, Dictionary<string, string> f, string key, string etag, string? version, List<KeyValuePair<string, string>> checksums)
    {
        var h = r.Response.Headers;
        h.ETag = etag;
        if (version is not null) h["x-amz-version-id"] = version;
        foreach (var (alg, v) in checksums) h["x-amz-checksum-" + alg.ToLowerInvariant()] = v;
        var location = $"{r.Http.Request.Scheme}://{r.Http.Request.Host}/{Uri.EscapeDataString(r.BucketName!)}/{AwsUri.Encode(key, keepSlash: true)}";
        h.Location = location;
        var redirect = f.GetValueOrDefault("success_action_redirect") ?? f.GetValueOrDefault("redirect");
        if (redirect is not null && Uri.TryCreate(redirect, UriKind.Absolute, out _))
        {
            var sep = redirect.Contains('?') ? '&' : '?';
            h.Location = $"{redirect}{sep}bucket={Uri.EscapeDataString(r.BucketName!)}&key={Uri.EscapeDataString(key)}&etag={Uri.EscapeDataString(etag)}";
            r.Response.StatusCode = 303;
            return;
        }
        switch (f.GetValueOrDefault("success_action_status"))
        {
            case "200":
                r.Response.StatusCode = 200;
                break;
            case "201":
                await XmlOut.WriteAsync(r.Response, "PostResponse", w =>
                {
                    w.El("Location", location);
                    w.El("Bucket", r.BucketName);
                    w.El("Key", key);
                    w.El("ETag", etag);
                }, r.Ct, status: 201, ns: null).ConfigureAwait(false);
                break;
            default:
                r.Response.StatusCode = 204;
                break;
        }
    }

    /// <summary>The file, refused as EntityTooLarge as soon as it passes the policy's maximum (so an oversized upload is not stored first).</summary>
    private sealed class CappedStream(Stream inner, long? max) : Streaming.ReadOnlyStream
    {
        private long _read;
        protected override long BytesSoFar => _read;
        public override bool CanRead => true;
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            var n = await inner.ReadAsync(buffer, ct).ConfigureAwait(false);
            _read += n;
            if (_read > max)
                throw new S3Exception(S3ErrorCode.EntityTooLarge, $"Your proposed upload exceeds the maximum allowed size ({max} bytes).");
            return n;
        }
    }
}
