namespace Strata.Core;

public sealed record BranchInfo(string Repo, string Name, string? Head, DateTimeOffset Created)
{
    /// <summary>
    /// History retention: commits of this branch below this height are squashed out of its history
    /// (0: keep everything). Read with the branch on every request, so no node relies on a cached view of it.
    /// </summary>
    public long Floor { get; init; }

    /// <summary>
    /// How many purges (permanent version deletes) have rewritten commits of this branch's repo. Commits
    /// are cached as immutable; a node that sees this change drops its cache (see <see cref="VersionedStore.PurgeAsync"/>).
    /// </summary>
    public long Purges { get; init; }

    /// <summary>
    /// False only when the store vouches that no version in the branch's repo has object tags (a
    /// per-repo marker written in the same transaction as any tag): readers then skip the tag lookup.
    /// True means "look them up"; a store that keeps no marker leaves it so.
    /// </summary>
    public bool MayHaveObjectTags { get; init; } = true;
}

/// <summary>
/// An immutable commit. Height is 1 for a branch's first commit; Skip points at an older
/// ancestor (a skip list) so that the Nth ancestor is found in O(log N) reads.
/// </summary>
public sealed record CommitInfo(
    string Id, string Repo, string? Parent, Hash? Root, long Height, string? Skip,
    DateTimeOffset Time, string Message)
{
    public long TimeUnixMs => Time.ToUnixTimeMilliseconds();
}

/// <summary>
/// One version of a key: a commit that wrote it (or removed it: a delete marker). Kept in an
/// index maintained at commit time so that listing a key's versions never walks history.
/// </summary>
public sealed record VersionRow(string Key, string CommitId, long Height, bool IsDelete, long Size, string ETag, long ModifiedUnixMs)
{
    /// <summary>
    /// The version's object tags, written with the commit in its transaction (so no crash leaves a new
    /// version without the tags its writer asked for); null when it has none.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Tags { get; init; }
}

/// <summary>A commit about to be stored, with the version rows of the keys it changed.</summary>
public sealed record NewCommit(CommitInfo Commit, IReadOnlyCollection<VersionRow> Versions)
{
    /// <summary>
    /// For the first commit of a chain: the root its parent had when the changes were built on it. A
    /// purge rewrites a commit's root in place, so the head's id alone does not say the tree is unchanged;
    /// null when the writer does not check (the parent's root is then not compared).
    /// </summary>
    public ParentRoot? Base { get; init; }
}

/// <summary>The root a parent commit had when a writer read it (Root null: an empty tree).</summary>
public sealed record ParentRoot(Hash? Root);

/// <summary>
/// An explicit commit in progress on a branch: writes to the branch build up its tree (Root)
/// on top of Base, and readers keep seeing the branch head until it is finished.
/// </summary>
public sealed record OpenCommit(string Id, string Repo, string Branch, string? Base, Hash? Root, DateTimeOffset Started);

/// <summary>The state of a bucket a reader sees: a commit (null for a branch with no commits yet).</summary>
public sealed record Snapshot(BucketRef Bucket, CommitInfo? Commit)
{
    public Hash? Root => Commit?.Root;
    /// <summary>The branch's history floor (see <see cref="BranchInfo.Floor"/>), as read with this snapshot.</summary>
    public long Floor { get; init; }
    /// <summary>Whether the repo may have object tags, as read with this snapshot (see <see cref="BranchInfo.MayHaveObjectTags"/>).</summary>
    public bool MayHaveObjectTags { get; init; } = true;
}
