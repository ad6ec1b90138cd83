using Strata.Core;
using Strata.Core.Storage;
using Strata.S3.Errors;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>Get/Put/DeleteBucketTagging: a tag set per bucket (branch), kept beside the history.</summary>
public static class BucketTagging
{
    public static async Task GetBucketTaggingAsync(S3Request r)
    {
        await r.OpenAsync().ConfigureAwait(false);
        var doc = await r.Store.Meta.GetBucketConfigAsync(r.Bucket.Repo, r.Bucket.Branch, BucketConfigKind.Tagging, r.Ct).ConfigureAwait(false)
            ?? throw new S3Exception(S3ErrorCode.NoSuchTagSet);
        var tags = TagSet.Decode(doc);
        await XmlOut.WriteAsync(r.Response, "Tagging", w => Tags.WriteTagSet(w, tags), r.Ct).ConfigureAwait(false);
    }

    public static async Task PutBucketTaggingAsync(S3Request r)
    {
        var bucket = r.WritableBucket;
        await r.OpenAsync().ConfigureAwait(false);
        var body = await XmlIn.ReadAsync(r.Http.Request.Body, 64 << 10, r.Ct).ConfigureAwait(false);
        var tags = Tags.FromXml(body, Tags.MaxBucketTags);
        // An empty tag set is no tag set (GetBucketTagging then answers NoSuchTagSet, as S3).
        await r.Store.Meta.SetBucketConfigAsync(bucket.Repo, bucket.Branch, BucketConfigKind.Tagging, tags.Count == 0 ? null : TagSet.Encode(tags), r.Ct).ConfigureAwait(false);
        r.Response.StatusCode = 204;
    }

    public static async Task DeleteBucketTaggingAsync(S3Request r)
    {
        var bucket = r.WritableBucket;
        await r.OpenAsync().ConfigureAwait(false);
        await r.Store.Meta.SetBucketConfigAsync(bucket.Repo, bucket.Branch, BucketConfigKind.Tagging, null, r.Ct).ConfigureAwait(false);
        r.Response.StatusCode = 204;
    }
}
