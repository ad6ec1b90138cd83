using Strata.Core;
using Strata.S3.Errors;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation.</summary>
public static class Buckets
{
    public static async Task ListBucketsAsync(S3Request r)
    {
        var prefix = r.Query("prefix") ?? "";
        var after = r.Query("continuation-token") ?? "";
        var max = 10_000;
        if (r.Query("max-buckets") is { } mb && (!int.TryParse(mb, out max) || max < 1 || max > 10_000))
            throw new S3Exception(S3ErrorCode.InvalidArgument, "max-buckets must be 1 to 10000");
        var branches = await r.Store.ListBranchesAsync(r.Ct).ConfigureAwait(false);
        var readable = new HashSet<string>();
        foreach (var repo in branches.Select(b => b.Repo).Distinct())
            if (await Auth.Authorizer.CanReadAsync(r, repo).ConfigureAwait(false)) readable.Add(repo);
        var all = branches.Where(b => readable.Contains(b.Repo)).Select(b => (Name: $"{b.Name}.{b.Repo}", b.Created))
            .Where(b => b.Name.StartsWith(prefix, StringComparison.Ordinal) && string.CompareOrdinal(b.Name, after) > 0)
            .OrderBy(b => b.Name, StringComparer.Ordinal).ToList();
        var sorted = all.Take(max).ToList();
        await XmlOut.WriteAsync(r.Response, "ListAllMyBucketsResult", w =>
        {
            w.Owner(r.Options);
            if (all.Count > max) w.El("ContinuationToken", sorted[^1].Name);
            if (r.Has("prefix")) w.El("Prefix", prefix);
            w.WriteStartElement("Buckets");
            foreach (var (name, created) in sorted)
            {
                w.WriteStartElement("Bucket");
                w.El("Name", name);
                w.El("CreationDate", created);
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }, r.Ct).ConfigureAwait(false);
    }

    public static async Task CreateBucketAsync(S3Request r)
    {
        if (Names.NewBucketRuleBroken(r.BucketName ?? "") is { } rule) throw new S3Exception(S3ErrorCode.InvalidBucketName, rule);
        var b = r.Bucket;
        if (b.Snapshot is not null)
            throw new S3Exception(S3ErrorCode.InvalidBucketName, "a commit.branch.repo snapshot bucket cannot be created");
        var acl = CannedAcl.Check(r);
        // The body is an optional CreateBucketConfiguration; read it so malformed XML is refused.
        var cfg = await XmlIn.ReadAsync(r.Http.Request.Body, 64 << 10, r.Ct).ConfigureAwait(false);
        if (cfg is not null && cfg.Name.LocalName != "CreateBucketConfiguration")
            throw new S3Exception(S3ErrorCode.MalformedXML);
        var newRepo = !await r.Store.Meta.RepoExistsAsync(b.Repo, r.Ct).ConfigureAwait(false);
        // Creating a bucket that exists answers 200, as S3 does in us-east-1 (the caller passed the
        // same authorization as for a new branch: owner of the repo); nothing changes.
        await r.Store.CreateBranchAsync(b.Repo, b.Branch, r.Ct).ConfigureAwait(false);
        // Grants outlive a deleted repo: a new repo of the same name starts without them.
        if (newRepo && r.Access is not null)
            foreach (var g in await r.Access.ListGrantsAsync(null, b.Repo, r.Ct).ConfigureAwait(false))
                await r.Access.SetRoleAsync(g.User, g.Repo, null, r.Ct).ConfigureAwait(false);
        if (acl == "public-read") await CannedAcl.ApplyToRepoAsync(r, b.Repo, acl).ConfigureAwait(false);
        // Whoever creates a repo owns it.
        if (newRepo && r.Principal is { IsAdmin: false } p)
        {
            await r.Access!.SetRoleAsync(p.User, b.Repo, Strata.Core.Auth.RepoRole.Owner, r.Ct).ConfigureAwait(false);
            await r.Access.AppendAuditAsync(new Strata.Core.Auth.AuditEntry(0, DateTimeOffset.UtcNow, $"{p.User} (token {p.TokenId})",
                "grant", p.User, $"owner on {b.Repo} (created it with S3 CreateBucket)"), r.Ct).ConfigureAwait(false);
        }
        r.Response.Headers.Location = "/" + r.BucketName;
    }

    public static async Task DeleteBucketAsync(S3Request r)
    {
        var b = r.WritableBucket;
        await r.Store.DeleteBranchAsync(b.Repo, b.Branch, r.Ct).ConfigureAwait(false);
        r.Response.StatusCode = 204;
    }

    public static async Task HeadBucketAsync(S3Request r)
    {
        await r.OpenAsync().ConfigureAwait(false);
        r.Response.Headers["x-amz-bucket-region"] = r.Options.Region;
    }

    public static async Task GetBucketLocationAsync(S3Request r)
    {
        await r.OpenAsync().ConfigureAwait(false);
        // S3 answers an empty constraint for us-east-1, and SDKs map empty back to us-east-1.
        var region = r.Options.Region == "us-east-1" ? null : r.Options.Region;
        await XmlOut.WriteAsync(r.Response, "LocationConstraint", w => { if (region is not null) w.WriteString(region); }, r.Ct).ConfigureAwait(false);
    }
}
