using Strata.Core;
using Strata.S3.Errors;

namespace Strata.S3.Operations;

/// <summary>The object named by x-amz-copy-source (<c>[/]bucket/key[?versionId=v]</c>, URL-encoded), resolved to its file entry.</summary>
public sealed record CopySource(BucketRef Bucket, string Key, string? VersionId, FileEntry Entry)
{
    /// <summary>False when the source's repo has never had object tags: there are none to copy.</summary>
    public bool MayHaveTags { get; init; } = true;

    /// <summary>Splits the header into bucket, key and version; a header that names no object is an S3 error.</summary>
    public static (BucketRef Bucket, string Key, string? Version) Parse(string? header)
    {
        var raw = header ?? throw new S3Exception(S3ErrorCode.InvalidArgument, "x-amz-copy-source is missing");
        string? version = null;
        var q = raw.IndexOf('?');
        if (q >= 0)
        {
            foreach (var kv in raw[(q + 1)..].Split('&'))
                if (kv.StartsWith("versionId=", StringComparison.Ordinal)) version = Uri.UnescapeDataString(kv[10..]);
            raw = raw[..q];
        }
        var path = Uri.UnescapeDataString(raw).TrimStart('/');
        var slash = path.IndexOf('/');
        if (slash <= 0 || slash == path.Length - 1)
            throw new S3Exception(S3ErrorCode.InvalidArgument, "x-amz-copy-source must be bucket/key");
        var bucket = Names.ParseBucket(path[..slash]) ?? throw new S3Exception(S3ErrorCode.InvalidBucketName, $"'{path[..slash]}' is not a bucket");
        return (bucket, path[(slash + 1)..], version);
    }

    public static async Task<CopySource> ResolveAsync(S3Request r)
    {
        var (bucket, key, version) = Parse(r.Header("x-amz-copy-source"));
        await Auth.Authorizer.RequireAsync(r, bucket.Repo, Strata.Core.Auth.RepoRole.Reader).ConfigureAwait(false);
        var snap = await r.Store.OpenAsync(bucket, r.Ct).ConfigureAwait(false);
        var entry = await GetObject.ReadVersionAsync(r, snap, key, version).ConfigureAwait(false);
        // Copy conditions fail with 412 whichever header it is (S3 behaviour).
        try
        {
            Conditions.Check(r, entry, isRead: true, prefix: "x-amz-copy-source-");
        }
        catch (S3Exception e) when (e.Code == S3ErrorCode.NotModified)
        {
            throw new S3Exception(S3ErrorCode.PreconditionFailed);
        }
        return new CopySource(bucket, key, version, entry) { MayHaveTags = snap.MayHaveObjectTags };
    }
}
