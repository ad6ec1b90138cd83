using Strata.Core.Auth;

namespace Strata.Core.Storage;

/// <summary>A commit whose tree a purge replaces: the root it must still have, and its new one (null: an empty tree).</summary>
public sealed record RootRewrite(string CommitId, Hash? OldRoot, Hash? NewRoot);

/// <summary>
/// A permanent delete of one version of a key, stored at once: commit roots rewritten in place (ids
/// stay), the version row gone, a record that the version was purged, and an audit entry.
/// <paramref name="Branches"/> is every branch of the repo with its head as the purge saw it; nothing is
/// stored if any of them moved, or if a branch in <paramref name="Reaching"/> has an open commit.
/// </summary>
public sealed record PurgeChange(string Repo, string Key, string VersionId,
    IReadOnlyList<KeyValuePair<string, string?>> Branches, IReadOnlyList<string> Reaching,
    IReadOnlyList<RootRewrite> Rewrites, AuditEntry Audit);

public partial interface IMetadataStore
{
    /// <summary>
    /// Stores a purge (see <see cref="PurgeChange"/>) and raises <see cref="BranchInfo.Purges"/> on every branch
    /// of the repo, in one transaction. False, storing nothing, if a head moved, a branch appeared or went,
    /// an open commit is in the way, or a rewritten commit's root is no longer its OldRoot.
    /// Throws StrataException(GcExpired) as a commit does.
    /// </summary>
    Task<bool> TryPurgeAsync(PurgeChange purge, IReadOnlyCollection<KeyValuePair<Hash, byte[]>> nodes, long protectedSinceUnixMs, CancellationToken ct);

    /// <summary>Whether a version of a key was purged (its commit still exists; reading the key at it must not pass for that version).</summary>
    Task<bool> WasPurgedAsync(string repo, string key, string versionId, CancellationToken ct);
}
