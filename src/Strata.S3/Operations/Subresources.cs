using Strata.S3.Errors;
using Strata.S3.Routing;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>
/// Configuration subresources Strata does not keep (ACL grants, policy, CORS, lifecycle,
/// encryption, tagging...). Reads answer as S3 does for a bucket with none configured, so
/// tools that ask as a matter of course (s3cmd, aws cli) carry on; writes that would set
/// something are refused, never pretended.
/// </summary>
public static class Subresources
{
    public static async Task GetAclAsync(S3Request r)
    {
        await EnsureTargetAsync(r).ConfigureAwait(false);
        await XmlOut.WriteAsync(r.Response, "AccessControlPolicy", w =>
        {
            w.Owner(r.Options);
            w.WriteStartElement("AccessControlList");
            w.WriteStartElement("Grant");
            w.WriteStartElement("Grantee");
            w.WriteAttributeString("xmlns", "xsi", null, "http://www.w3.org/2001/XMLSchema-instance");
            w.WriteAttributeString("xsi", "type", "http://www.w3.org/2001/XMLSchema-instance", "CanonicalUser");
            w.El("ID", r.Options.OwnerId);
            w.El("DisplayName", r.Options.OwnerName);
            w.WriteEndElement();
            w.El("Permission", "FULL_CONTROL");
            w.WriteEndElement();
            w.WriteEndElement();
        }, r.Ct).ConfigureAwait(false);
    }

    /// <summary>Only the canned "private" ACL (what Strata has anyway) is accepted.</summary>
    public static async Task PutAclAsync(S3Request r)
    {
        await EnsureTargetAsync(r).ConfigureAwait(false);
        CannedAcl.Check(r);
        var canned = r.Header("x-amz-acl");
        var hasGrants = r.Http.Request.Headers.Keys.Any(h => h.StartsWith("x-amz-grant-", StringComparison.OrdinalIgnoreCase));
        var body = await XmlIn.ReadAsync(r.Http.Request.Body, 64 << 10, r.Ct).ConfigureAwait(false);
        if (hasGrants || (canned is not null && canned != "private") || (body is not null && !OnlyOwnerFullControl(body, r.Options)))
            throw new S3Exception(S3ErrorCode.NotImplemented, "Strata does not keep ACL grants; access is governed by tokens and repo roles");
    }

    private static bool OnlyOwnerFullControl(System.Xml.Linq.XElement policy, S3Options o)
    {
        var grants = policy.Kid("AccessControlList")?.Kids("Grant").ToList() ?? [];
        return grants.All(g => g.Kid("Permission")?.Value == "FULL_CONTROL" && g.Kid("Grantee")?.Kid("ID")?.Value == o.OwnerId);
    }

    public static async Task GetObjectTaggingAsync(S3Request r)
    {
        await EnsureTargetAsync(r).ConfigureAwait(false);
        await XmlOut.WriteAsync(r.Response, "Tagging", w => w.WriteElementString("TagSet", XmlOut.Ns, ""), r.Ct).ConfigureAwait(false);
    }

    public static async Task DeleteObjectTaggingAsync(S3Request r)
    {
        await EnsureTargetAsync(r).ConfigureAwait(false);
        r.Response.StatusCode = 204;
    }

    public static async Task GetBucketRequestPaymentAsync(S3Request r)
    {
        await r.OpenAsync().ConfigureAwait(false);
        await XmlOut.WriteAsync(r.Response, "RequestPaymentConfiguration", w => w.El("Payer", "BucketOwner"), r.Ct).ConfigureAwait(false);
    }

    public static async Task GetBucketLoggingAsync(S3Request r)
    {
        await r.OpenAsync().ConfigureAwait(false);
        await XmlOut.WriteAsync(r.Response, "BucketLoggingStatus", _ => { }, r.Ct).ConfigureAwait(false);
    }

    public static async Task GetAbsentConfigurationAsync(S3Request r)
    {
        await r.OpenAsync().ConfigureAwait(false);
        throw r.Operation switch
        {
            S3Operation.GetBucketPolicy => new S3Exception(S3ErrorCode.NoSuchBucketPolicy),
            S3Operation.GetBucketCors => new S3Exception(S3ErrorCode.NoSuchCORSConfiguration),
            S3Operation.GetBucketLifecycle => new S3Exception(S3ErrorCode.NoSuchLifecycleConfiguration),
            S3Operation.GetBucketEncryption => new S3Exception(S3ErrorCode.ServerSideEncryptionConfigurationNotFoundError),
            S3Operation.GetBucketTagging => new S3Exception(S3ErrorCode.NoSuchTagSet),
            S3Operation.GetBucketWebsite => new S3Exception(S3ErrorCode.NoSuchWebsiteConfiguration),
            _ => new S3Exception(S3ErrorCode.ObjectLockConfigurationNotFoundError),
        };
    }

    /// <summary>Deleting a configuration that does not exist succeeds in S3 too.</summary>
    public static async Task DeleteBucketSubresourceAsync(S3Request r)
    {
        await r.OpenAsync().ConfigureAwait(false);
        r.Response.StatusCode = 204;
    }

    private static async Task EnsureTargetAsync(S3Request r)
    {
        var snap = await r.OpenAsync().ConfigureAwait(false);
        if (r.Key is { } key && await r.Store.GetFileAsync(snap.Commit, key, r.Ct).ConfigureAwait(false) is null)
            throw new S3Exception(S3ErrorCode.NoSuchKey);
    }
}
