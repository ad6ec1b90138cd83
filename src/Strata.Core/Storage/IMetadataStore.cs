namespace Strata.Core.Storage;

/// <summary>
/// Repos, branches, commits and tree nodes. Branch heads move only by compare-and-swap
/// (<see cref="TryCommitChainAsync"/>), so several processes may share one database.
/// </summary>
public partial interface IMetadataStore
{
    Task<IReadOnlyList<BranchInfo>> ListBranchesAsync(CancellationToken ct);
    Task<BranchInfo?> GetBranchAsync(string repo, string branch, CancellationToken ct);
    Task<bool> RepoExistsAsync(string repo, CancellationToken ct);

    /// <summary>Creates the repo if missing and the branch; false if the branch already existed.</summary>
    Task<bool> CreateBranchAsync(string repo, string branch, string? head, DateTimeOffset created, CancellationToken ct);

    /// <summary>
    /// Deletes the branch; deletes the repo when it was its last branch. False if missing. Its head
    /// is recorded as a dropped root in the same transaction (see <see cref="ListDroppedAsync"/>).
    /// </summary>
    Task<bool> DeleteBranchAsync(string repo, string branch, CancellationToken ct);

    Task<CommitInfo?> GetCommitAsync(string id, CancellationToken ct);

    /// <summary>
    /// Atomically stores the new nodes and a chain of new commits (the first a child of
    /// <paramref name="expectedHead"/>, each the parent of the next) and moves the branch head from
    /// <paramref name="expectedHead"/> to the last. Returns false (and stores nothing) if the head
    /// is no longer <paramref name="expectedHead"/> or the branch is gone. A chain lets concurrent
    /// writers share one transaction (group commit) while each keeps its own commit.
    /// Throws StrataException(GcExpired), storing nothing, if the published GC cutoff is above
    /// <paramref name="protectedSinceUnixMs"/> (see <see cref="PublishGcCutoffAsync"/>). The nodes' touch times are set to now.
    /// </summary>
    Task<bool> TryCommitChainAsync(string branch, string? expectedHead, IReadOnlyList<NewCommit> chain,
        IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct);

    /// <summary>One new commit on the head: <see cref="TryCommitChainAsync"/> with a chain of one.</summary>
    Task<bool> TryCommitAsync(string branch, string? expectedHead, CommitInfo commit,
        IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, IReadOnlyCollection<VersionRow> versions, CancellationToken ct) =>
        TryCommitChainAsync(branch, expectedHead, [new NewCommit(commit, versions)], nodes, long.MaxValue, ct);

    /// <summary>
    /// Version rows of a repo's keys with the prefix, ordered by key then newest first, starting
    /// after (keyMarker, heightMarker): keys after keyMarker, or keyMarker's rows below heightMarker.
    /// </summary>
    Task<IReadOnlyList<VersionRow>> ListVersionsAsync(string repo, string prefix, string keyMarker, long heightMarker, int limit, CancellationToken ct);

    /// <summary>The version row a commit wrote for a key, if that commit changed it.</summary>
    Task<VersionRow?> GetVersionAsync(string repo, string key, string commitId, CancellationToken ct);

    Task<byte[]?> GetNodeAsync(Hash id, CancellationToken ct);

    // Explicit commits: at most one open commit per branch.
    Task<OpenCommit?> GetOpenCommitAsync(string repo, string branch, CancellationToken ct);
    /// <summary>Opens a commit; false if the branch already has one.</summary>
    Task<bool> StartCommitAsync(OpenCommit commit, CancellationToken ct);
    /// <summary>Moves an open commit's root by compare-and-swap, storing the new nodes with it (GcExpired as for a chain).</summary>
    Task<bool> TryUpdateOpenCommitAsync(OpenCommit commit, Hash? expectedRoot, Hash? newRoot,
        IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct);
    /// <summary>Finishes an open commit: in one transaction, the branch head moves from its base to the commit and the open record goes.</summary>
    /// (GcExpired as for a chain: the commit's row must not be older than a cutoff published before it is stored.)
    Task<bool> TryFinishCommitAsync(OpenCommit open, CommitInfo commit, IReadOnlyCollection<VersionRow> versions, long protectedSinceUnixMs, CancellationToken ct);
    Task<bool> AbandonCommitAsync(string repo, string branch, string id, CancellationToken ct);

    // Multipart uploads: metadata only; parts point at chunks already stored.
    Task CreateUploadAsync(UploadInfo upload, CancellationToken ct);
    Task<UploadInfo?> GetUploadAsync(string uploadId, CancellationToken ct);
    /// <summary>Uploads of a branch ordered by key then upload id, starting after (keyMarker, uploadIdMarker).</summary>
    Task<IReadOnlyList<UploadInfo>> ListUploadsAsync(string repo, string branch, string prefix, string keyMarker, string uploadIdMarker, int limit, CancellationToken ct);
    Task<IReadOnlyList<UploadInfo>> ListUploadsCreatedBeforeAsync(DateTimeOffset before, int limit, CancellationToken ct);
    /// <summary>How many multipart uploads are in progress, on every branch (a gauge for /metrics).</summary>
    Task<long> CountUploadsAsync(CancellationToken ct);
    /// <summary>
    /// Stores a part, replacing one with the same number (whose chunks become a dropped root).
    /// False if the upload is gone. Throws StrataException(GcExpired) if the GC cutoff is above protectedSinceUnixMs.
    /// </summary>
    Task<bool> PutPartAsync(PartInfo part, long protectedSinceUnixMs, CancellationToken ct);
    /// <summary>Parts in ascending number, after <paramref name="afterNumber"/>.</summary>
    Task<IReadOnlyList<PartInfo>> ListPartsAsync(string uploadId, int afterNumber, int limit, CancellationToken ct);
    /// <summary>Deletes an upload and its parts; their chunk lists become dropped roots.</summary>
    Task<bool> DeleteUploadAsync(string uploadId, CancellationToken ct);
    /// <summary>Marks an upload completed with its result and drops its part records (the commit now references their chunks; they become dropped roots too).</summary>
    Task MarkUploadCompletedAsync(string uploadId, IReadOnlyList<KeyValuePair<string, string>> completion, CancellationToken ct);
}
