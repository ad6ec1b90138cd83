using System.Text;
using Strata.Core;
using Strata.Core.Tree;
using Strata.S3.Errors;

namespace Strata.S3.Operations;

/// <summary>PutObject: streams the body into chunks, verifies its digests, then makes one commit.</summary>
public static class PutObject
{
    public const int MaxKeyBytes = 1024;

    public static void ValidateKey(string key)
    {
        if (Encoding.UTF8.GetByteCount(key) > MaxKeyBytes) throw new S3Exception(S3ErrorCode.KeyTooLongError);
    }

    /// <summary>S3 needs a length (Content-Length, or x-amz-decoded-content-length with aws-chunked) to accept a body.</summary>
    public static void RequireLength(S3Request r)
    {
        var h = r.Http.Request.Headers;
        if (!h.ContentLength.HasValue && !h.ContainsKey("x-amz-decoded-content-length") && !h.TransferEncoding.ToString().Contains("chunked", StringComparison.OrdinalIgnoreCase))
            throw new S3Exception(S3ErrorCode.MissingContentLength);
    }

    /// <summary>
    /// The tags of a version written into an open explicit commit (no new commit: null), which replaces
    /// that commit's version of the key, tags included. A new commit's tags went into its own transaction
    /// (<see cref="Mutation.Tags"/>).
    /// </summary>
    public static async Task StoreOpenCommitTagsAsync(S3Request r, CommitInfo? commit, string repo, string key, string version, IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        if (commit is null)
            await r.Store.Meta.SetObjectTagsAsync(repo, key, version, tags, r.Ct).ConfigureAwait(false);
    }

    /// <summary>A body small enough on the wire (a declared Content-Length) that reading it before checking the bucket costs nothing worth saving.</summary>
    private static bool IsSmall(S3Request r) => r.Http.Request.ContentLength is { } n && n <= Strata.Core.Chunking.ContentWriter.InlineLimit;

    public static async Task PutObjectAsync(S3Request r)
    {
        var key = r.RequiredKey;
        ValidateKey(key);
        var bucket = r.WritableBucket;
        // NoSuchBucket before reading a large body. A small one is cheap to read first, and the commit
        // reads the branch anyway (NoSuchBucket there): that saves a query per small PUT.
        var checkedFirst = !IsSmall(r);
        if (checkedFirst) await r.OpenAsync().ConfigureAwait(false);
        List<KeyValuePair<string, string>> headers;
        IReadOnlyList<KeyValuePair<string, string>> tags;
        ReceivedBody body;
        try
        {
            RequireLength(r);
            await CannedAcl.CheckObjectAsync(r, bucket.Repo).ConfigureAwait(false);
            headers = ObjectHeaders.FromRequest(r.Http.Request);
            tags = Tags.FromHeader(r.Header("x-amz-tagging")); // checked before the body is read
            body = await RequestBody.ReceiveAsync(r, inline: true).ConfigureAwait(false);
        }
        catch (Exception) when (!checkedFirst && !r.Ct.IsCancellationRequested)
        {
            // Any error found before the commit is answered as if the bucket had been checked first.
            await r.OpenAsync().ConfigureAwait(false);
            throw;
        }
        var c = body.Content;
        var etag = "\"" + Convert.ToHexStringLower(c.Md5) + "\"";
        var conditional = r.Header("If-Match") is not null || r.Header("If-None-Match") is not null;
        string? version = null;
        var commit = await r.Store.CommitAsync(bucket, async ctx =>
        {
            if (conditional) Conditions.CheckWrite(r, await ctx.GetAsync(key).ConfigureAwait(false));
            version = ctx.Id;
            return [new Mutation(key, new FileEntry
            {
                Size = c.Size, ETag = etag, ContentHash = c.ContentHash, CommitId = ctx.Id, ModifiedUnixMs = ctx.TimeUnixMs,
                Chunks = c.Chunks, Headers = headers, Checksums = body.Checksums,
            }) { Inline = c.Inline, Tags = tags }];
        }, $"put {key}", c.ReliesOnSince(r.Started), r.Ct).ConfigureAwait(false);
        await StoreOpenCommitTagsAsync(r, commit, bucket.Repo, key, version!, tags).ConfigureAwait(false);
        r.Response.Headers.ETag = etag;
        if (commit is not null) r.Response.Headers["x-amz-version-id"] = commit.Id;
        foreach (var (alg, v) in body.Checksums) r.Response.Headers["x-amz-checksum-" + alg.ToLowerInvariant()] = v;
    }
}
