namespace Strata.Core;

/// <summary>What went wrong in the store, independent of any protocol; the S3 layer maps each to an S3 error.</summary>
public enum StoreError
{
    NoSuchRepo,
    NoSuchBranch,
    NoSuchVersion,
    NoSuchKey,
    InvalidName,
    InvalidVersion,
    BranchExists,
    ReadOnlySnapshot,
    ConflictRetriesExhausted,
    Corrupt,
    NoSuchUpload,
    InvalidPart,
    InvalidPartOrder,
    EntityTooSmall,
    CommitOpen,
    NoOpenCommit,
    /// <summary>A write took longer than the garbage collector's grace period while a collection ran; it is refused and can be retried.</summary>
    GcExpired,
    GcRunning,
}

public sealed class StrataException(StoreError error, string message) : Exception(message)
{
    public StoreError Error { get; } = error;
}
