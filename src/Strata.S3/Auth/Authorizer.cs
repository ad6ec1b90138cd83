using Strata.Core.Auth;
using Strata.S3.Errors;
using Strata.S3.Routing;

namespace Strata.S3.Auth;

/// <summary>Which role on the bucket's repo each operation needs, and the check itself.</summary>
public static class Authorizer
{
    public static RepoRole? Required(S3Operation op) => op switch
    {
        // A preflight is unsigned by nature (browsers send no credentials); it reveals only whether the bucket's CORS rules allow a request.
        S3Operation.ListBuckets or S3Operation.NotImplemented or S3Operation.MethodNotAllowed or S3Operation.PreflightCors => null,
        // A new branch of an existing repo is the owner's to make, as on the admin API; a new repo is anyone's (see CreateBucket).
        S3Operation.CreateBucket => RepoRole.Owner,
        // Making a repo public-read is a grant: the owner's to make.
        S3Operation.DeleteBucket or S3Operation.PutBucketAcl => RepoRole.Owner,
        S3Operation.PutObject or S3Operation.PostObject or S3Operation.CopyObject or S3Operation.DeleteObject or S3Operation.DeleteObjects
            or S3Operation.CreateMultipartUpload or S3Operation.UploadPart or S3Operation.UploadPartCopy
            or S3Operation.CompleteMultipartUpload or S3Operation.AbortMultipartUpload or S3Operation.PutObjectAcl
            or S3Operation.PutBucketVersioning or S3Operation.DeleteObjectTagging or S3Operation.PutObjectTagging
            or S3Operation.PutBucketTagging or S3Operation.DeleteBucketTagging or S3Operation.PutBucketCors or S3Operation.DeleteBucketCors
            or S3Operation.DeleteBucketSubresource => RepoRole.Writer,
        _ => RepoRole.Reader,
    };

    /// <summary>
    /// Reads a public-read repo serves to anyone. Tags and CORS rules are configuration, which
    /// S3's public-read does not open either.
    /// </summary>
    public static bool AnonymousMayRead(S3Operation op) =>
        Required(op) == RepoRole.Reader && op is not (S3Operation.GetObjectTagging or S3Operation.GetBucketTagging or S3Operation.GetBucketCors);

    /// <summary>Throws AccessDenied unless the caller (null when auth is off) holds the role on the repo, or the repo does not exist yet.</summary>
    public static async Task RequireAsync(S3Request r, string repo, RepoRole role)
    {
        if (r.Principal is null || r.Principal.IsAdmin) return;
        var has = await r.Access!.GetRoleAsync(r.Principal.User, repo, r.Ct).ConfigureAwait(false);
        if (has is { } h && h >= role) return;
        if (has is null && !await r.Store.Meta.RepoExistsAsync(repo, r.Ct).ConfigureAwait(false)) return;
        throw new S3Exception(S3ErrorCode.AccessDenied, $"user {r.Principal.User} needs the {role} role on repo {repo}");
    }

    public static async Task<bool> CanReadAsync(S3Request r, string repo) =>
        r.Principal is null || r.Principal.IsAdmin
        || await r.Access!.GetRoleAsync(r.Principal.User, repo, r.Ct).ConfigureAwait(false) is not null;
}
