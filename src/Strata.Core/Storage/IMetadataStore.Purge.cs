using Strata.Core.Auth;

namespace Strata.Core.Storage;

/// <summary>A commit whose tree a purge replaces: the root it must still have, and its new one (null: an empty tree).</summary>
public sealed record RootRewrite(string CommitId, Hash? OldRoot, Hash? NewRoot);

/// <summary>
/// Permanent deletes of versions of keys (key, version commit id), stored at once: commit roots
/// rewritten in place (ids stay), the version rows gone, records that the versions were purged, and
/// audit entries. <paramref name="Branches"/> is every branch of the repo with its head as the purge
/// saw it; nothing is stored if any of them moved, or if a branch in <paramref name="Reaching"/> has an open commit.
/// </summary>
public sealed record PurgeChange(string Repo, IReadOnlyList<KeyValuePair<string, string>> Versions,
    IReadOnlyList<KeyValuePair<string, string?>> Branches, IReadOnlyList<string> Reaching,
    IReadOnlyList<RootRewrite> Rewrites, IReadOnlyList<AuditEntry> Audit);

public partial interface IMetadataStore
{
    /// <summary>
    /// Stores a purge (see <see cref="PurgeChange"/>) and sets <see cref="BranchInfo.Purges"/> of every branch
    /// of the repo to one more than the highest among them, in one transaction; returns that count. Null,
    /// storing nothing, if a head moved, a branch appeared or went, an open commit is in the way, or a
    /// rewritten commit's root is no longer its OldRoot. Throws StrataException(GcExpired) as a commit does.
    /// </summary>
    Task<long?> TryPurgeAsync(PurgeChange purge, IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct);

    /// <summary>Whether a version of a key was purged (its commit still exists; reading the key at it must not pass for that version).</summary>
    Task<bool> WasPurgedAsync(string repo, string key, string versionId, CancellationToken ct);
}
