using System.Diagnostics;
using System.Text.Json;
using Strata.Core.Storage;

namespace Strata.Core.Maintenance;

/// <summary>What a GC run found and freed.</summary>
public sealed record GcResult
{
    public required string RunId { get; init; }
    public required DateTimeOffset Started { get; init; }
    public DateTimeOffset Finished { get; init; }
    public required DateTimeOffset Cutoff { get; init; }
    public string Phase { get; init; } = "done";
    public string? Error { get; init; }
    public long CommitsReachable { get; init; }
    public long NodesReachable { get; init; }
    public long ChunksReferenced { get; init; }
    public long ChunksListed { get; init; }
    public long ChunkBytesListed { get; init; }
    public long ChunksDeleted { get; init; }
    public long ChunkBytesFreed { get; init; }
    public long NodesDeleted { get; init; }
    public long NodeBytesFreed { get; init; }
    public long CommitsDeleted { get; init; }
    public long DroppedRootsPurged { get; init; }
    /// <summary>Branches whose history retention squashed more commits out in this run.</summary>
    public long BranchFloorsRaised { get; init; }
    public double Seconds => (Finished - Started).TotalSeconds;
}

/// <summary>Progress of a run, for a bar or a log line.</summary>
public readonly record struct GcProgress(string Phase, long Done, long? Total);

/// <summary>
/// Online mark-and-sweep garbage collection of chunks, tree nodes and commits. Safe while the
/// server serves writes, on any backend, with any number of nodes:
/// <list type="number">
/// <item>One run at a time across all nodes (a lease in the metadata store).</item>
/// <item>Publish the cutoff C = start - grace. Nothing touched at or after C is swept, and a write
/// whose references could be older than C is refused in its own transaction (the store's
/// protectedSince check), so what an in-flight write relies on is either marked or young.</item>
/// <item>Read the roots in an order that cannot miss one moving between kinds: upload parts, open
/// commits, branch heads, then dropped roots (deleted branches, replaced or finished parts) still
/// in the grace period. Mark every commit, node and chunk they reach.</item>
/// <item>Sweep what is unmarked and older than C: chunks (a sorted merge of the store's listing with
/// the spilled mark, each batch ordered against freshening writes), nodes, commits.</item>
/// </list>
/// A crash at any point leaves only garbage that the next run frees: each run starts afresh.
/// </summary>
public sealed class GarbageCollector(IMetadataStore meta, IChunkStore chunks, string tempDirectory)
{
    public const string LeaseName = "gc";
    public const string LastResultKey = "gc_last";
    public const string CurrentRunKey = "gc_current";
    // Renewed every quarter of it while a run lives; a crashed run's lease frees itself this soon.
    private static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(30);

    public TimeSpan Grace { get; init; } = TimeSpan.FromHours(1);
    public IProgress<GcProgress>? Progress { get; init; }
    /// <summary>For tests: called between phases ("marking", "marked", "swept-chunks") so a test can stop a run there.</summary>
    public Func<string, CancellationToken, Task>? Checkpoint { get; init; }
    /// <summary>Called once the cutoff is published (this process's writers can start freshening what it would refuse).</summary>
    public Func<CancellationToken, Task>? CutoffPublished { get; init; }

    public async Task<GcResult> RunAsync(CancellationToken ct)
    {
        var runId = Guid.NewGuid().ToString("N");
        var started = DateTimeOffset.UtcNow;
        if (!await meta.TryAcquireLeaseAsync(LeaseName, runId, started + LeaseTime, ct).ConfigureAwait(false))
            throw new StrataException(StoreError.GcRunning, "another garbage collection is running");
        using var run = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var renew = RenewLeaseAsync(runId, run);
        var result = new GcResult { RunId = runId, Started = started, Cutoff = started - Grace, Phase = "mark" };
        try
        {
            await meta.SetSettingAsync(CurrentRunKey, JsonSerializer.Serialize(result), run.Token).ConfigureAwait(false);
            result = await CollectAsync(result, run.Token).ConfigureAwait(false);
            await meta.SetSettingAsync(LastResultKey, JsonSerializer.Serialize(result), CancellationToken.None).ConfigureAwait(false);
            return result;
        }
        finally
        {
            await run.CancelAsync().ConfigureAwait(false);
            try { await renew.ConfigureAwait(false); } catch (OperationCanceledException) { }
            await meta.SetSettingAsync(CurrentRunKey, "", CancellationToken.None).ConfigureAwait(false);
            await meta.ReleaseLeaseAsync(LeaseName, runId, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task RenewLeaseAsync(string runId, CancellationTokenSource run)
    {
        using var timer = new PeriodicTimer(LeaseTime / 4);
        while (await timer.WaitForNextTickAsync(run.Token).ConfigureAwait(false))
            if (!await meta.TryAcquireLeaseAsync(LeaseName, runId, DateTimeOffset.UtcNow + LeaseTime, run.Token).ConfigureAwait(false))
            {
                // Another run took over after this one stalled past the lease: stop before sweeping on stale marks.
                await run.CancelAsync().ConfigureAwait(false);
                return;
            }
    }

    private async Task<GcResult> CollectAsync(GcResult result, CancellationToken ct)
    {
        var cutoff = result.Cutoff.ToUnixTimeMilliseconds();
        // History retention first: what it squashes out is garbage from this run on (after the grace period).
        var floorsRaised = await new Retention(meta, new CommitGraph(meta)).ApplyAllAsync(ct).ConfigureAwait(false);
        await meta.PublishGcCutoffAsync(cutoff, ct).ConfigureAwait(false);
        if (CutoffPublished is not null) await CutoffPublished(ct).ConfigureAwait(false);

        using var spill = new HashSpill(tempDirectory);
        var walk = new Reachability(meta)
        {
            OnEntry = (_, e, _) => { foreach (var c in e.Chunks) spill.Add(c.Id, c.Length); },
        };
        await MarkAsync(walk, spill, cutoff, ct).ConfigureAwait(false);
        if (walk.Missing > 0)
            throw new StrataException(StoreError.Corrupt, $"the mark found {walk.Missing} missing commits or tree nodes reachable from live roots; nothing was swept (run fsck)");
        result = result with { CommitsReachable = walk.CommitCount, NodesReachable = walk.NodeCount, Phase = "sweep" };
        await meta.SetSettingAsync(CurrentRunKey, JsonSerializer.Serialize(result), ct).ConfigureAwait(false);
        if (Checkpoint is not null) await Checkpoint("marked", ct).ConfigureAwait(false);

        result = await SweepChunksAsync(result, spill, cutoff, ct).ConfigureAwait(false);
        if (Checkpoint is not null) await Checkpoint("swept-chunks", ct).ConfigureAwait(false);
        result = await SweepNodesAsync(result, walk, spill, cutoff, ct).ConfigureAwait(false);
        result = await SweepCommitsAsync(result, walk, cutoff, ct).ConfigureAwait(false);
        var purged = await meta.PurgeDroppedAsync(cutoff, ct).ConfigureAwait(false);
        await meta.PurgeFreshenedAsync(cutoff, ct).ConfigureAwait(false);
        await meta.CompactAsync(ct).ConfigureAwait(false);
        return result with { DroppedRootsPurged = purged, BranchFloorsRaised = floorsRaised, Finished = DateTimeOffset.UtcNow, Phase = "done" };
    }

    /// <summary>Reads the roots in the order that keeps a root moving from one kind to the next from being missed, and marks.</summary>
    private async Task MarkAsync(Reachability walk, HashSpill spill, long cutoff, CancellationToken ct)
    {
        // 1. Parts of uploads in progress: Complete commits before it drops them; dropping records them.
        await SpillPartsAsync(meta, spill, ct).ConfigureAwait(false);
        Report("mark", walk);
        if (Checkpoint is not null) await Checkpoint("marking", ct).ConfigureAwait(false);
        // 2. Open commits: finishing one moves the branch head in the same transaction.
        foreach (var o in await meta.ListOpenCommitsAsync(ct).ConfigureAwait(false))
        {
            if (o.Root is { } root) await walk.WalkTreeAsync(root, new WalkContext(o.Repo, o.Id, null, null), ct).ConfigureAwait(false);
            if (o.Base is { } b) await walk.WalkCommitAsync(b, $"the base of the open commit of {o.Branch}.{o.Repo}", ct).ConfigureAwait(false);
        }
        // 3. Branch heads, with all their history.
        foreach (var br in await meta.ListBranchesAsync(ct).ConfigureAwait(false))
        {
            if (br.Head is { } head) await walk.WalkCommitAsync(head, $"the head of branch {br.Name} of repo {br.Repo}", ct, br.Floor).ConfigureAwait(false);
            Report("mark", walk);
        }
        // 4. Roots dropped within the grace period (deleting a branch records its head in the same transaction).
        long seq = 0;
        while (true)
        {
            var dropped = await meta.ListDroppedAsync(cutoff, seq, 1000, ct).ConfigureAwait(false);
            foreach (var d in dropped)
            {
                if (d.Kind == DroppedKind.Commit)
                    await walk.WalkCommitAsync(System.Text.Encoding.UTF8.GetString(d.Ref), "a branch deleted or history squashed within the grace period", ct).ConfigureAwait(false);
                else if (d.Kind == DroppedKind.Tree)
                    // A reader that opened the commit before the purge may still be streaming what it held.
                    await walk.WalkTreeAsync(Hash.FromBytes(d.Ref), new WalkContext("", "a tree a purge replaced within the grace period", null, null), ct).ConfigureAwait(false);
                else
                    foreach (var c in BinaryCodec.Decode(d.Ref, BinaryCodec.ReadChunks)) spill.Add(c.Id, c.Length);
            }
            if (dropped.Count < 1000) break;
            seq = dropped[^1].Seq;
        }
        Report("mark", walk);
    }

    /// <summary>Adds the chunks of every stored part of every upload in progress (roots of their own).</summary>
    internal static async Task SpillPartsAsync(IMetadataStore meta, HashSpill spill, CancellationToken ct)
    {
        var (afterUpload, afterNumber) = ("", 0);
        while (true)
        {
            var parts = await meta.ListAllPartsAsync(afterUpload, afterNumber, 1000, ct).ConfigureAwait(false);
            foreach (var p in parts)
                foreach (var c in p.Chunks) spill.Add(c.Id, c.Length);
            if (parts.Count < 1000) break;
            (afterUpload, afterNumber) = (parts[^1].UploadId, parts[^1].Number);
        }
    }

    private void Report(string phase, Reachability walk) => Progress?.Report(new GcProgress(phase, walk.CommitCount + walk.NodeCount, null));

    private async Task<GcResult> SweepChunksAsync(GcResult result, HashSpill spill, long cutoff, CancellationToken ct)
    {
        long listed = 0, listedBytes = 0, referenced = 0, deleted = 0, freed = 0;
        var touchedBefore = cutoff - (long)chunks.TouchResolution.TotalMilliseconds;
        var batch = new List<ChunkStat>();
        async Task FlushAsync()
        {
            if (batch.Count == 0) return;
            var lengths = batch.ToDictionary(b => b.Id, b => b.Length);
            await meta.SweepChunksAsync(batch.Select(b => b.Id).ToList(), cutoff, async (doomed, c) =>
            {
                await chunks.DeleteAsync(doomed, c).ConfigureAwait(false);
                deleted += doomed.Count;
                foreach (var id in doomed) freed += lengths[id];
            }, ct).ConfigureAwait(false);
            batch.Clear();
        }

        // Both streams ascend by hash: a chunk is live iff the mark stream has it.
        await using var marked = spill.ReadSortedAsync(ct).GetAsyncEnumerator(ct);
        var hasMark = await marked.MoveNextAsync().ConfigureAwait(false);
        if (hasMark) referenced++;
        await foreach (var stat in chunks.ListAsync(ct).ConfigureAwait(false))
        {
            listed++;
            listedBytes += stat.Length;
            while (hasMark && HashOrder.Compare(marked.Current.Id, stat.Id) < 0)
                if (hasMark = await marked.MoveNextAsync().ConfigureAwait(false)) referenced++;
            var live = hasMark && marked.Current.Id == stat.Id;
            if (!live && stat.Touched.ToUnixTimeMilliseconds() < touchedBefore)
            {
                batch.Add(stat);
                if (batch.Count >= 1000) await FlushAsync().ConfigureAwait(false);
            }
            if (listed % 10_000 == 0) Progress?.Report(new GcProgress("sweep chunks", listed, null));
        }
        await FlushAsync().ConfigureAwait(false);
        while (hasMark && await marked.MoveNextAsync().ConfigureAwait(false)) referenced++;
        return result with { ChunksListed = listed, ChunkBytesListed = listedBytes, ChunksReferenced = referenced, ChunksDeleted = deleted, ChunkBytesFreed = freed };
    }

    private async Task<GcResult> SweepNodesAsync(GcResult result, Reachability walk, HashSpill chunkMark, long cutoff, CancellationToken ct)
    {
        long deleted = 0, freed = 0, seen = 0;
        Hash? after = null;
        // Small chunks kept with their commits share the node table: one is live if a live file
        // references it, so the (ascending) chunk mark is merged with the (ascending) node listing.
        await using var marked = chunkMark.ReadSortedAsync(ct).GetAsyncEnumerator(ct);
        var hasMark = await marked.MoveNextAsync().ConfigureAwait(false);
        while (true)
        {
            var page = await meta.ListNodesAsync(after, 1000, ct).ConfigureAwait(false);
            if (page.Count == 0) break;
            var doomed = new List<NodeStat>();
            foreach (var n in page)
            {
                if (walk.HasNode(n.Id) || n.TouchedUnixMs >= cutoff) continue;
                while (hasMark && HashOrder.Compare(marked.Current.Id, n.Id) < 0) hasMark = await marked.MoveNextAsync().ConfigureAwait(false);
                if (!(hasMark && marked.Current.Id == n.Id)) doomed.Add(n);
            }
            if (doomed.Count > 0)
            {
                var n = await meta.DeleteNodesAsync(doomed.Select(d => d.Id).ToList(), cutoff, ct).ConfigureAwait(false);
                deleted += n;
                // A node touched meanwhile stays; the bytes of those that went are estimated from the batch.
                freed += doomed.Sum(d => (long)d.Length) * n / doomed.Count;
            }
            seen += page.Count;
            Progress?.Report(new GcProgress("sweep nodes", seen, null));
            after = page[^1].Id;
        }
        return result with { NodesDeleted = deleted, NodeBytesFreed = freed };
    }

    private async Task<GcResult> SweepCommitsAsync(GcResult result, Reachability walk, long cutoff, CancellationToken ct)
    {
        long deleted = 0;
        var after = "";
        while (true)
        {
            var page = await meta.ListCommitsAsync(after, 1000, ct).ConfigureAwait(false);
            if (page.Count == 0) break;
            var doomed = page.Where(c => !walk.HasCommit(c.Id) && c.TimeUnixMs < cutoff).Select(c => c.Id).ToList();
            if (doomed.Count > 0) deleted += await meta.DeleteCommitsAsync(doomed, cutoff, ct).ConfigureAwait(false);
            after = page[^1].Id;
        }
        return result with { CommitsDeleted = deleted };
    }

    /// <summary>The last finished run's result, if any.</summary>
    public static async Task<GcResult?> LastResultAsync(IMetadataStore meta, CancellationToken ct) =>
        await meta.GetSettingAsync(LastResultKey, ct).ConfigureAwait(false) is { Length: > 0 } json ? JsonSerializer.Deserialize<GcResult>(json) : null;

    /// <summary>The run in progress (or one a crash interrupted: its lease has then expired), if any.</summary>
    public static async Task<GcResult?> CurrentRunAsync(IMetadataStore meta, CancellationToken ct) =>
        await meta.GetSettingAsync(CurrentRunKey, ct).ConfigureAwait(false) is { Length: > 0 } json ? JsonSerializer.Deserialize<GcResult>(json) : null;
}
