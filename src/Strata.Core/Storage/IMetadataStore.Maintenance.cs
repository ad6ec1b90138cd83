namespace Strata.Core.Storage;

/// <summary>A tree node as stored: its id, encoded size and last insert time (the GC grace period counts from then).</summary>
public readonly record struct NodeStat(Hash Id, int Length, long TouchedUnixMs);

/// <summary>What a dropped root holds: a commit (and its history), a chunk list (an encoded part), or a tree (a root a purge replaced).</summary>
public enum DroppedKind { Commit = 1, Chunks = 2, Tree = 3 }

/// <summary>
/// Something that stopped being a root (a deleted branch's head, a replaced, aborted or completed
/// upload's part, a commit's tree a purge replaced). GC keeps treating it as one for the grace period, because a request that read it
/// while it was live may still commit a reference to what it holds.
/// </summary>
public sealed record DroppedRoot(long Seq, DroppedKind Kind, byte[] Ref, long DroppedUnixMs);

// Garbage collection and fsck. The GC protocol, in short: GC publishes a cutoff C (its start
// minus the grace period), then reads the roots, marks, and sweeps only what is unmarked and was
// last touched before C. Every write that adds references says how far back its references may
// reach (protectedSinceUnixMs) and is refused if a cutoff above that has been published; the
// check runs in the write's own transaction, ordered with the publication.
public partial interface IMetadataStore
{
    /// <summary>The highest GC cutoff ever published (0 before any GC).</summary>
    Task<long> GetGcCutoffAsync(CancellationToken ct);

    /// <summary>Raises the published cutoff to at least <paramref name="cutoffUnixMs"/>; waits for writes checking the old one to end.</summary>
    Task PublishGcCutoffAsync(long cutoffUnixMs, CancellationToken ct);

    /// <summary>Takes or renews a named lease until <paramref name="until"/>; false if another owner holds one that has not expired.</summary>
    Task<bool> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset until, CancellationToken ct);
    Task ReleaseLeaseAsync(string name, string owner, CancellationToken ct);

    Task<string?> GetSettingAsync(string key, CancellationToken ct);
    Task SetSettingAsync(string key, string value, CancellationToken ct);

    Task<IReadOnlyList<OpenCommit>> ListOpenCommitsAsync(CancellationToken ct);

    /// <summary>Parts of every upload in (upload id, number) order, after (afterUploadId, afterNumber).</summary>
    Task<IReadOnlyList<PartInfo>> ListAllPartsAsync(string afterUploadId, int afterNumber, int limit, CancellationToken ct);

    /// <summary>Dropped roots recorded at or after <paramref name="sinceUnixMs"/>, in Seq order after <paramref name="afterSeq"/>.</summary>
    Task<IReadOnlyList<DroppedRoot>> ListDroppedAsync(long sinceUnixMs, long afterSeq, int limit, CancellationToken ct);
    Task<int> PurgeDroppedAsync(long beforeUnixMs, CancellationToken ct);

    /// <summary>The nodes that exist among <paramref name="ids"/>.</summary>
    async Task<IReadOnlyList<KeyValuePair<Hash, byte[]>>> GetNodesAsync(IReadOnlyList<Hash> ids, CancellationToken ct)
    {
        var found = new List<KeyValuePair<Hash, byte[]>>(ids.Count);
        foreach (var id in ids)
            if (await GetNodeAsync(id, ct).ConfigureAwait(false) is { } data) found.Add(new(id, data));
        return found;
    }

    /// <summary>Stored nodes in ascending id order, after <paramref name="after"/> (null: from the start).</summary>
    Task<IReadOnlyList<NodeStat>> ListNodesAsync(Hash? after, int limit, CancellationToken ct);

    /// <summary>Deletes those of the nodes last touched before the cutoff; returns how many went.</summary>
    Task<int> DeleteNodesAsync(IReadOnlyList<Hash> ids, long touchedBeforeUnixMs, CancellationToken ct);

    /// <summary>Every commit in ascending id order, after <paramref name="afterId"/>.</summary>
    Task<IReadOnlyList<CommitInfo>> ListCommitsAsync(string afterId, int limit, CancellationToken ct);

    /// <summary>Deletes those of the commits made before the cutoff, with their version rows; returns how many went.</summary>
    Task<int> DeleteCommitsAsync(IReadOnlyList<string> ids, long madeBeforeUnixMs, CancellationToken ct);

    /// <summary>
    /// Records that a write is reusing an old chunk and runs <paramref name="touch"/> (which touches
    /// it in the chunk store and says whether it exists), ordered against <see cref="SweepChunksAsync"/>:
    /// a sweep either sees the record and keeps the chunk, or has deleted it before touch runs.
    /// </summary>
    Task<bool> FreshenChunkAsync(Hash id, Func<CancellationToken, Task<bool>> touch, CancellationToken ct);

    /// <summary>
    /// Runs <paramref name="delete"/> on the candidates not freshened at or after <paramref name="freshenedSinceUnixMs"/>,
    /// excluding <see cref="FreshenChunkAsync"/> meanwhile; returns how many were passed to it.
    /// </summary>
    Task<int> SweepChunksAsync(IReadOnlyList<Hash> candidates, long freshenedSinceUnixMs,
        Func<IReadOnlyList<Hash>, CancellationToken, Task> delete, CancellationToken ct);
    Task<int> PurgeFreshenedAsync(long beforeUnixMs, CancellationToken ct);

    /// <summary>
    /// Raises a branch's history floor (<see cref="BranchInfo.Floor"/>) to at least <paramref name="floor"/>;
    /// when it rises, records <paramref name="droppedBelow"/> (the commit just below the new floor) as a
    /// dropped Commit root in the same transaction. False if the branch is missing or the floor was already that high.
    /// </summary>
    Task<bool> RaiseBranchFloorAsync(string repo, string branch, long floor, string droppedBelow, CancellationToken ct);

    /// <summary>Gives space freed by a collection back where the store can (an embedded database truncates its log).</summary>
    Task CompactAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>The version rows a commit wrote.</summary>
    Task<IReadOnlyList<VersionRow>> ListCommitVersionsAsync(string repo, string commitId, CancellationToken ct);

    /// <summary>Replaces the version rows of a commit (fsck --repair rebuilds them from the trees).</summary>
    Task ReplaceCommitVersionsAsync(CommitInfo commit, IReadOnlyCollection<VersionRow> rows, CancellationToken ct);
}
