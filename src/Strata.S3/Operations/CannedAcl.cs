using Strata.Core.Auth;
using Strata.S3.Errors;

namespace Strata.S3.Operations;

/// <summary>
/// x-amz-acl: an unknown value is InvalidArgument (as S3). "private" and
/// "bucket-owner-full-control" describe what Strata does anyway. "public-read" on a bucket grants
/// anonymous read of its repo (every branch: roles are per repo); on an object it is accepted
/// where its repo is public already. Any other canned ACL would open access that Strata does not
/// model, so it is refused rather than ignored.
/// </summary>
public static class CannedAcl
{
    private static readonly HashSet<string> Known =
    [
        "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
        "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write",
    ];

    /// <summary>The request's canned ACL if Strata can honour it ("private" or "public-read"), null without one.</summary>
    public static string? Check(S3Request r) => Check(r.Header("x-amz-acl"));

    /// <summary>A canned ACL given some other way (a POST form's acl field).</summary>
    public static string? Check(string? acl)
    {
        if (acl is null) return null;
        if (!Known.Contains(acl)) throw new S3Exception(S3ErrorCode.InvalidArgument, $"'{acl}' is not a canned ACL");
        return acl switch
        {
            "private" or "bucket-owner-full-control" => "private",
            "public-read" => "public-read",
            _ => throw new S3Exception(S3ErrorCode.NotImplemented,
                $"Strata does not keep ACLs; canned ACL '{acl}' cannot be honoured (access is governed by tokens and repo roles; public-read is supported)"),
        };
    }

    /// <summary>For writes of objects: public-read is accepted only where the repo is public already.</summary>
    public static Task CheckObjectAsync(S3Request r, string repo) => CheckObjectAsync(r, repo, r.Header("x-amz-acl"));

    public static async Task CheckObjectAsync(S3Request r, string repo, string? acl)
    {
        if (Check(acl) == "public-read" && !await IsPublicAsync(r, repo).ConfigureAwait(false))
            throw new S3Exception(S3ErrorCode.NotImplemented,
                "Strata grants anonymous read per repo, not per object: make the bucket public-read (PutBucketAcl or CreateBucket with x-amz-acl: public-read)");
    }

    public static async Task<bool> IsPublicAsync(S3Request r, string repo) =>
        r.Access is not null && await r.Access.GetRoleAsync(Principal.Everyone, repo, r.Ct).ConfigureAwait(false) is not null;

    /// <summary>Makes the repo public-read or private (audited); null changes nothing.</summary>
    public static async Task ApplyToRepoAsync(S3Request r, string repo, string? acl)
    {
        if (acl is null || r.Access is null) return;
        var makePublic = acl == "public-read";
        if (makePublic == await IsPublicAsync(r, repo).ConfigureAwait(false)) return;
        await r.Access.SetRoleAsync(Principal.Everyone, repo, makePublic ? RepoRole.Reader : null, r.Ct).ConfigureAwait(false);
        var actor = r.Principal is { } p ? $"{p.User} (token {p.TokenId})" : "anonymous (auth off)";
        await r.Access.AppendAuditAsync(new AuditEntry(0, DateTimeOffset.UtcNow, actor, makePublic ? "grant" : "revoke", Principal.Everyone,
            makePublic ? $"reader on {repo} (S3 canned ACL public-read)" : $"reader on {repo} (S3 canned ACL private)"), r.Ct).ConfigureAwait(false);
    }
}
