using Strata.S3.Errors;
using Strata.S3.Routing;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>
/// Configuration subresources Strata does not keep (ACL grants, policy, lifecycle,
/// encryption...). Reads answer as S3 does for a bucket with none configured, so
/// tools that ask as a matter of course (s3cmd, aws cli) carry on; writes that would set
/// something are refused, never pretended.
/// </summary>
public static class Subresources
{
    public static async Task GetAclAsync(S3Request r)
    {
        await EnsureTargetAsync(r).ConfigureAwait(false);
        var everyone = await CannedAcl.IsPublicAsync(r, r.Bucket.Repo).ConfigureAwait(false);
        await XmlOut.WriteAsync(r.Response, "AccessControlPolicy", w =>
        {
            w.Owner(r.Options);
            w.WriteStartElement("AccessControlList");
            Grant(w, "CanonicalUser", "FULL_CONTROL", () =>
            {
                w.El("ID", r.Options.OwnerId);
                w.El("DisplayName", r.Options.OwnerName);
            });
            if (everyone) Grant(w, "Group", "READ", () => w.El("URI", AllUsers));
            w.WriteEndElement();
        }, r.Ct).ConfigureAwait(false);
    }

    private const string AllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";

    private static void Grant(System.Xml.XmlWriter w, string type, string permission, Action grantee)
    {
        w.WriteStartElement("Grant");
        w.WriteStartElement("Grantee");
        w.WriteAttributeString("xmlns", "xsi", null, "http://www.w3.org/2001/XMLSchema-instance");
        w.WriteAttributeString("xsi", "type", "http://www.w3.org/2001/XMLSchema-instance", type);
        grantee();
        w.WriteEndElement();
        w.El("Permission", permission);
        w.WriteEndElement();
    }

    /// <summary>
    /// The ACLs Strata can honour: the owner alone ("private"), or the owner plus anonymous read
    /// (public-read), which is kept per repo; on an object, only what its repo has already.
    /// </summary>
    public static async Task PutAclAsync(S3Request r)
    {
        await EnsureTargetAsync(r).ConfigureAwait(false);
        var wanted = CannedAcl.Check(r);
        var hasGrants = r.Http.Request.Headers.Keys.Any(h => h.StartsWith("x-amz-grant-", StringComparison.OrdinalIgnoreCase));
        var body = await XmlIn.ReadAsync(r.Http.Request.Body, 64 << 10, r.Ct).ConfigureAwait(false);
        if (body is not null) wanted ??= FromPolicy(body, r.Options);
        if (hasGrants || wanted is null)
            throw new S3Exception(S3ErrorCode.NotImplemented, "Strata keeps no ACL grants but the owner's and public-read; access is governed by tokens and repo roles");
        var repo = r.Bucket.Repo;
        if (r.Key is null)
            await CannedAcl.ApplyToRepoAsync(r, repo, wanted).ConfigureAwait(false);
        else if ((wanted == "public-read") != await CannedAcl.IsPublicAsync(r, repo).ConfigureAwait(false))
            throw new S3Exception(S3ErrorCode.NotImplemented, $"Strata keeps access per repo, not per object: set the ACL of the bucket (repo {repo} is {(wanted == "public-read" ? "private" : "public-read")})");
    }

    /// <summary>"private" or "public-read" for a policy that says exactly that, else null.</summary>
    private static string? FromPolicy(System.Xml.Linq.XElement policy, S3Options o)
    {
        var grants = policy.Kid("AccessControlList")?.Kids("Grant").ToList() ?? [];
        bool Owner(System.Xml.Linq.XElement g) => g.Kid("Permission")?.Value == "FULL_CONTROL" && g.Kid("Grantee")?.Kid("ID")?.Value == o.OwnerId;
        bool Everyone(System.Xml.Linq.XElement g) => g.Kid("Permission")?.Value == "READ" && g.Kid("Grantee")?.Kid("URI")?.Value == AllUsers;
        if (grants.All(Owner)) return "private";
        return grants.All(g => Owner(g) || Everyone(g)) ? "public-read" : null;
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
            S3Operation.GetBucketLifecycle => new S3Exception(S3ErrorCode.NoSuchLifecycleConfiguration),
            S3Operation.GetBucketEncryption => new S3Exception(S3ErrorCode.ServerSideEncryptionConfigurationNotFoundError),
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
