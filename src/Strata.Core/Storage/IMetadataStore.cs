namespace Strata.Core.Storage;

/// <summary>
/// Repos, branches, commits and tree nodes. Branch heads move only by compare-and-swap
/// (<see cref="TryCommitAsync"/>), so several processes may share one database.
/// </summary>
public interface IMetadataStore
{
    Task<IReadOnlyList<BranchInfo>> ListBranchesAsync(CancellationToken ct);
    Task<BranchInfo?> GetBranchAsync(string repo, string branch, CancellationToken ct);
    Task<bool> RepoExistsAsync(string repo, CancellationToken ct);

    /// <summary>Creates the repo if missing and the branch; false if the branch already existed.</summary>
    Task<bool> CreateBranchAsync(string repo, string branch, string? head, DateTimeOffset created, CancellationToken ct);

    /// <summary>Deletes the branch; deletes the repo when it was its last branch. False if missing.</summary>
    Task<bool> DeleteBranchAsync(string repo, string branch, CancellationToken ct);

    Task<CommitInfo?> GetCommitAsync(string id, CancellationToken ct);

    /// <summary>
    /// Atomically stores the new nodes and the commit and moves the branch head from
    /// <paramref name="expectedHead"/> to the commit. Returns false (and stores nothing)
    /// if the head is no longer <paramref name="expectedHead"/> or the branch is gone.
    /// </summary>
    Task<bool> TryCommitAsync(string branch, string? expectedHead, CommitInfo commit,
        IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, CancellationToken ct);

    Task<byte[]?> GetNodeAsync(Hash id, CancellationToken ct);
}
