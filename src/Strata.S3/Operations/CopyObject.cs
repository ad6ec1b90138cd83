using Strata.Core;
using Strata.Core.Tree;
using Strata.S3.Errors;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>
/// CopyObject within or across branches and repos, from any version. No bytes are copied:
/// the new entry points at the source's chunks. One commit.
/// </summary>
public static class CopyObject
{
    public static async Task CopyObjectAsync(S3Request r)
    {
        var key = r.RequiredKey;
        PutObject.ValidateKey(key);
        var bucket = r.WritableBucket;
        await CannedAcl.CheckObjectAsync(r, bucket.Repo).ConfigureAwait(false);
        var directive = r.Header("x-amz-metadata-directive") ?? "COPY";
        if (directive is not ("COPY" or "REPLACE"))
            throw new S3Exception(S3ErrorCode.InvalidArgument, "x-amz-metadata-directive must be COPY or REPLACE");
        var tagging = r.Header("x-amz-tagging-directive") ?? "COPY";
        if (tagging is not ("COPY" or "REPLACE"))
            throw new S3Exception(S3ErrorCode.InvalidArgument, "Unknown tagging directive.");
        var replacedTags = tagging == "REPLACE" ? Tags.FromHeader(r.Header("x-amz-tagging")) : null;
        await r.OpenAsync().ConfigureAwait(false);
        var src = await CopySource.ResolveAsync(r).ConfigureAwait(false);
        if (directive == "COPY" && src.Bucket == bucket && src.Key == key && src.VersionId is null)
            throw new S3Exception(S3ErrorCode.InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
        var headers = directive == "REPLACE" ? ObjectHeaders.FromRequest(r.Http.Request) : src.Entry.Headers;
        var conditional = r.Header("If-Match") is not null || r.Header("If-None-Match") is not null;
        var tags = replacedTags ?? (src.MayHaveTags
            ? await r.Store.Meta.GetObjectTagsAsync(src.Bucket.Repo, src.Key, src.Entry.CommitId, r.Ct).ConfigureAwait(false) : []);
        FileEntry? written = null;
        var commit = await r.Store.CommitAsync(bucket, async ctx =>
        {
            if (conditional) Conditions.CheckWrite(r, await ctx.GetAsync(key).ConfigureAwait(false));
            written = src.Entry with { CommitId = ctx.Id, ModifiedUnixMs = ctx.TimeUnixMs, Headers = headers };
            return [new Mutation(key, written) { Tags = tags }];
        }, $"copy {src.Bucket}/{src.Key} to {key}", r.Started, r.Ct).ConfigureAwait(false);
        var entry = written!;
        await PutObject.StoreOpenCommitTagsAsync(r, commit, bucket.Repo, key, entry.CommitId, tags).ConfigureAwait(false);
        if (commit is not null) r.Response.Headers["x-amz-version-id"] = commit.Id;
        r.Response.Headers["x-amz-copy-source-version-id"] = src.Entry.CommitId;
        await XmlOut.WriteAsync(r.Response, "CopyObjectResult", w =>
        {
            w.El("LastModified", entry.Modified);
            w.El("ETag", entry.ETag);
            foreach (var (alg, v) in entry.Checksums) w.El("Checksum" + alg, v);
        }, r.Ct).ConfigureAwait(false);
    }
}
