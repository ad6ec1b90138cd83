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
}

public sealed class StrataException(StoreError error, string message) : Exception(message)
{
    public StoreError Error { get; } = error;
}
