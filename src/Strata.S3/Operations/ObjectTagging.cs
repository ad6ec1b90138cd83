using Strata.Core;
using Strata.S3.Errors;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>
/// Get/Put/DeleteObjectTagging. Tags belong to one version of a key (the commit that wrote it) and
/// live beside the history: changing them makes no new version, as in S3.
/// </summary>
public static class ObjectTagging
{
    public static async Task GetObjectTaggingAsync(S3Request r)
    {
        var (repo, key, version) = await TargetAsync(r).ConfigureAwait(false);
        var tags = await r.Store.Meta.GetObjectTagsAsync(repo, key, version, r.Ct).ConfigureAwait(false);
        await XmlOut.WriteAsync(r.Response, "Tagging", w => Tags.WriteTagSet(w, tags), r.Ct).ConfigureAwait(false);
    }

    public static async Task PutObjectTaggingAsync(S3Request r)
    {
        var body = await XmlIn.ReadAsync(r.Http.Request.Body, 64 << 10, r.Ct).ConfigureAwait(false);
        var tags = Tags.FromXml(body, Tags.MaxObjectTags);
        var (repo, key, version) = await TargetAsync(r).ConfigureAwait(false);
        await r.Store.Meta.SetObjectTagsAsync(repo, key, version, tags, r.Ct).ConfigureAwait(false);
    }

    public static async Task DeleteObjectTaggingAsync(S3Request r)
    {
        var (repo, key, version) = await TargetAsync(r).ConfigureAwait(false);
        await r.Store.Meta.SetObjectTagsAsync(repo, key, version, [], r.Ct).ConfigureAwait(false);
        r.Response.StatusCode = 204;
    }

    /// <summary>x-amz-tagging-count on GET/HEAD, when the version has tags.</summary>
    public static async Task WriteCountAsync(S3Request r, string repo, string key, FileEntry f)
    {
        var tags = await r.Store.Meta.GetObjectTagsAsync(repo, key, f.CommitId, r.Ct).ConfigureAwait(false);
        if (tags.Count > 0) r.Response.Headers["x-amz-tagging-count"] = tags.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The version the request names (versionId, else the bucket's current one): NoSuchKey / NoSuchVersion as GET.</summary>
    private static async Task<(string Repo, string Key, string Version)> TargetAsync(S3Request r)
    {
        var key = r.RequiredKey;
        var snap = await r.OpenAsync().ConfigureAwait(false);
        var version = r.Query("versionId");
        var f = await GetObject.ReadVersionAsync(r, snap, key, version).ConfigureAwait(false);
        r.Response.Headers["x-amz-version-id"] = f.CommitId;
        return (r.Bucket.Repo, key, f.CommitId);
    }
}
