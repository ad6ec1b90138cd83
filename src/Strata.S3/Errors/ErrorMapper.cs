using Strata.Core;

namespace Strata.S3.Errors;

/// <summary>The one place where store errors become S3 errors.</summary>
public static class ErrorMapper
{
    public static S3Exception Map(StrataException e) => e.Error switch
    {
        // S3's own words: clients and Pachyderm's tests compare the message of NoSuchBucket.
        StoreError.NoSuchRepo or StoreError.NoSuchBranch => new S3Exception(S3ErrorCode.NoSuchBucket),
        StoreError.NoSuchVersion => new S3Exception(S3ErrorCode.NoSuchVersion, e.Message),
        StoreError.NoSuchKey => new S3Exception(S3ErrorCode.NoSuchKey, e.Message),
        StoreError.InvalidName => new S3Exception(S3ErrorCode.InvalidBucketName, e.Message),
        StoreError.InvalidVersion => new S3Exception(S3ErrorCode.InvalidArgument, e.Message),
        StoreError.BranchExists => new S3Exception(S3ErrorCode.BucketAlreadyOwnedByYou, e.Message),
        StoreError.ReadOnlySnapshot => new S3Exception(S3ErrorCode.MethodNotAllowed, e.Message),
        StoreError.ConflictRetriesExhausted or StoreError.GcExpired or StoreError.GcRunning => new S3Exception(S3ErrorCode.ServiceUnavailable, e.Message),
        StoreError.NoSuchUpload => new S3Exception(S3ErrorCode.NoSuchUpload, e.Message),
        StoreError.InvalidPart => new S3Exception(S3ErrorCode.InvalidPart, e.Message),
        StoreError.InvalidPartOrder => new S3Exception(S3ErrorCode.InvalidPartOrder, e.Message),
        StoreError.EntityTooSmall => new S3Exception(S3ErrorCode.EntityTooSmall, e.Message),
        StoreError.CommitOpen or StoreError.NoOpenCommit => new S3Exception(S3ErrorCode.InvalidRequest, e.Message),
        StoreError.VersionShared => new S3Exception(S3ErrorCode.VersionInOtherBranches, e.Message),
        _ => new S3Exception(S3ErrorCode.InternalError),
    };
}
