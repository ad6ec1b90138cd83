using Strata.S3.Errors;

namespace Strata.S3.Operations;

/// <summary>
/// x-amz-acl: an unknown value is InvalidArgument (as S3); "private" and
/// "bucket-owner-full-control" describe what Strata does anyway; any other canned ACL would
/// open access that Strata does not model, so it is refused rather than ignored.
/// </summary>
public static class CannedAcl
{
    private static readonly HashSet<string> Known =
    [
        "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
        "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write",
    ];

    public static void Check(S3Request r)
    {
        if (r.Header("x-amz-acl") is not { } acl) return;
        if (!Known.Contains(acl)) throw new S3Exception(S3ErrorCode.InvalidArgument, $"'{acl}' is not a canned ACL");
        if (acl is not ("private" or "bucket-owner-full-control"))
            throw new S3Exception(S3ErrorCode.NotImplemented, $"Strata does not keep ACLs; canned ACL '{acl}' cannot be honoured (access is governed by tokens and repo roles)");
    }
}
