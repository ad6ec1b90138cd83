using Strata.Core.Storage;
using Strata.S3.Errors;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>
/// GetBucketVersioning / PutBucketVersioning: every Strata bucket is versioned, always. Whether a client
/// enabled it explicitly is remembered, because that is when it expects a versioned S3 bucket's
/// delete semantics: a delete marker for every delete, even of an absent key, and conditional deletes
/// that fail against a delete marker. Without it a deleted key is simply gone, as in a plain bucket.
/// </summary>
public static class BucketVersioning
{
    // Kept with the bucket's other configuration, so deleting the bucket forgets it: a bucket made
    // again under the same name starts as a plain one.
    internal static async Task<bool> ExplicitlyEnabledAsync(S3Request r, Strata.Core.BucketRef b) =>
        await r.Store.Meta.GetBucketConfigAsync(b.Repo, b.Branch, BucketConfigKind.Versioning, r.Ct).ConfigureAwait(false) is not null;

    public static async Task GetBucketVersioningAsync(S3Request r)
    {
        await r.OpenAsync().ConfigureAwait(false);
        await XmlOut.WriteAsync(r.Response, "VersioningConfiguration", w => w.El("Status", "Enabled"), r.Ct).ConfigureAwait(false);
    }

    public static async Task PutBucketVersioningAsync(S3Request r)
    {
        await r.OpenAsync().ConfigureAwait(false);
        var cfg = await XmlIn.ReadAsync(r.Http.Request.Body, 64 << 10, r.Ct).ConfigureAwait(false);
        if (cfg is null || cfg.Name.LocalName != "VersioningConfiguration") throw new S3Exception(S3ErrorCode.MalformedXML);
        var status = cfg.Kid("Status")?.Value;
        switch (status)
        {
            case "Enabled":
                await r.Store.Meta.SetBucketConfigAsync(r.Bucket.Repo, r.Bucket.Branch, BucketConfigKind.Versioning, "Enabled", r.Ct).ConfigureAwait(false);
                return;
            case "Suspended":
                throw new S3Exception(S3ErrorCode.NotImplemented,
                    "Strata keeps every commit: versioning is always Enabled and cannot be suspended");
            default:
                throw new S3Exception(S3ErrorCode.MalformedXML, "Status must be Enabled or Suspended");
        }
    }
}
