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
    /// <summary>A purge would erase a version other branches still hold, and was not asked to erase it everywhere.</summary>
    VersionShared,
}

public sealed class StrataException(StoreError error, string message) : Exception(message)
{
    public StoreError Error { get; } = error;

    /// <summary>The refusal of a write that relies on something older than a published GC cutoff (every store words it the same).</summary>
    public static StrataException GcExpired() => new(StoreError.GcExpired,
        "a garbage collection started while this write was in progress and its references may be older than the collection's grace period; retry the request");
}
