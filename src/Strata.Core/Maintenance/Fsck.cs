using Strata.Core.Storage;
using Strata.Core.Tree;

namespace Strata.Core.Maintenance;

/// <summary>One thing fsck found wrong: what, which stored item, and which repo, branch, key or version it affects.</summary>
public sealed record FsckProblem(string Kind, string Subject, string Detail, IReadOnlyList<string> Affects);

public sealed record FsckResult
{
    public required DateTimeOffset Started { get; init; }
    public DateTimeOffset Finished { get; init; }
    public bool Quick { get; init; }
    public bool Repair { get; init; }
    public long Branches { get; init; }
    public long Commits { get; init; }
    public long Nodes { get; init; }
    public long Chunks { get; init; }
    public long ChunkBytes { get; init; }
    public long VersionRowsChecked { get; init; }
    public long ProblemCount { get; init; }
    /// <summary>The first problems (all of them up to a thousand).</summary>
    public IReadOnlyList<FsckProblem> Problems { get; init; } = [];
    public IReadOnlyList<string> Repaired { get; init; } = [];
    public bool Clean => ProblemCount == 0;
    public double Seconds => (Finished - Started).TotalSeconds;
}

/// <summary>
/// Checks that what live roots reach is whole: every branch head and parent commit exists, every
/// tree node exists, hashes to its id and decodes, every chunk exists with its recorded length
/// and (unless quick) hashes to its id, and each commit's version rows match its tree's changes.
/// Repair does only what cannot lose data: it rebuilds version rows from the trees and removes
/// a chunk store's stale temporary files.
/// </summary>
public sealed class Fsck(IMetadataStore meta, IChunkStore chunks, string tempDirectory)
{
    public const string LastResultKey = "fsck_last";
    private const int MaxListed = 1000;

    public bool Quick { get; init; }
    public bool Repair { get; init; }
    public IProgress<GcProgress>? Progress { get; init; }

    private readonly List<FsckProblem> _problems = [];
    private readonly List<string> _repaired = [];
    private long _problemCount;
    private long _versionRows;

    private void Problem(string kind, string subject, string detail, params string[] affects)
    {
        _problemCount++;
        if (_problems.Count < MaxListed) _problems.Add(new FsckProblem(kind, subject, detail, affects));
    }

    public async Task<FsckResult> RunAsync(CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        using var spill = new HashSpill(tempDirectory);
        var cache = new NodeCache(meta, 8L << 20); // decoded nodes weigh several times their encoded size
        var walk = new Reachability(meta)
        {
            OnNodeBytes = (id, data, where) => CheckNode(id, data, where),
            OnEntry = (_, e, _) => { foreach (var c in e.Chunks) spill.Add(c.Id, c.Length); },
            OnMissingNode = (id, where) => Problem("missing-node", $"node {id}", "a tree node reachable from a live root is missing", where.ToString()),
            OnMissingCommit = (id, by) => Problem("missing-commit", $"commit {id}", $"named by {by}, it does not exist", by),
            OnCommit = (c, token) => CheckVersionsAsync(cache, c, token),
        };
        var branches = await meta.ListBranchesAsync(ct).ConfigureAwait(false);
        foreach (var br in branches)
        {
            if (br.Head is { } head)
            {
                if (await meta.GetCommitAsync(head, ct).ConfigureAwait(false) is null)
                    Problem("dangling-head", $"branch {br.Name} of repo {br.Repo}", $"its head {head} does not exist", $"bucket {br.Name}.{br.Repo}");
                else await walk.WalkCommitAsync(head, $"the head of branch {br.Name} of repo {br.Repo}", ct, br.Floor).ConfigureAwait(false);
            }
            Progress?.Report(new GcProgress("walk", walk.CommitCount + walk.NodeCount, null));
        }
        foreach (var o in await meta.ListOpenCommitsAsync(ct).ConfigureAwait(false))
        {
            if (o.Root is { } root) await walk.WalkTreeAsync(root, new WalkContext(o.Repo, o.Id + " (open)", null, null), ct).ConfigureAwait(false);
            if (o.Base is { } b) await walk.WalkCommitAsync(b, $"the base of the open commit of {o.Branch}.{o.Repo}", ct).ConfigureAwait(false);
        }
        await GarbageCollector.SpillPartsAsync(meta, spill, ct).ConfigureAwait(false);

        var (count, bytes, bad) = await CheckChunksAsync(spill, ct).ConfigureAwait(false);
        if (bad.Count > 0) await ReportAffectedAsync(branches, bad, ct).ConfigureAwait(false);
        CheckLeftovers();

        var result = new FsckResult
        {
            Started = started, Finished = DateTimeOffset.UtcNow, Quick = Quick, Repair = Repair, Branches = branches.Count,
            Commits = walk.CommitCount, Nodes = walk.NodeCount, Chunks = count, ChunkBytes = bytes, VersionRowsChecked = _versionRows,
            ProblemCount = _problemCount, Problems = _problems, Repaired = _repaired,
        };
        await meta.SetSettingAsync(LastResultKey, System.Text.Json.JsonSerializer.Serialize(result), CancellationToken.None).ConfigureAwait(false);
        return result;
    }

    private bool CheckNode(Hash id, byte[] data, WalkContext where)
    {
        if (Hash.Of(data) is var hash && hash != id && !ChainTrees.FitsOverlayId(id, hash, data))
        {
            Problem("bad-node", $"node {id}", "its bytes do not hash to its id", where.ToString());
            return false;
        }
        try
        {
            NodeCodec.Decode(data);
            return true;
        }
        catch (Exception e) when (e is StrataException or FormatException or ArgumentException or IndexOutOfRangeException or EndOfStreamException or OverflowException)
        {
            Problem("bad-node", $"node {id}", $"it does not decode: {e.Message}", where.ToString());
            return false;
        }
    }

    /// <summary>A commit's version rows must record exactly the keys its tree changed (a delete row for a key absent on both sides is harmless).</summary>
    private async Task CheckVersionsAsync(NodeCache cache, CommitInfo c, CancellationToken ct)
    {
        var parent = c.Parent is null ? null : await meta.GetCommitAsync(c.Parent, ct).ConfigureAwait(false);
        if (c.Parent is not null && parent is null) return; // reported as a missing commit
        List<VersionRow> fromTree;
        try
        {
            fromTree = await TreeDiff.VersionRowsAsync(cache, parent?.Root, c, ct).ConfigureAwait(false);
        }
        catch (StrataException e) when (e.Error == StoreError.Corrupt)
        {
            return; // a missing or bad node: the walk reports it
        }
        var expected = fromTree.ToDictionary(r => r.Key, StringComparer.Ordinal);
        var rows = await meta.ListCommitVersionsAsync(c.Repo, c.Id, ct).ConfigureAwait(false);
        _versionRows += rows.Count;
        var wrong = new List<string>();
        foreach (var r in rows)
        {
            if (expected.Remove(r.Key, out var want))
            {
                if (want.IsDelete != r.IsDelete || want.Size != r.Size || want.ETag != r.ETag || r.Height != c.Height) wrong.Add(r.Key);
            }
            else if (!r.IsDelete) wrong.Add(r.Key);
        }
        wrong.AddRange(expected.Keys);
        if (wrong.Count == 0) return;
        Problem("version-index", $"commit {c.Id} of repo {c.Repo}", $"{wrong.Count} version rows do not match the tree's changes",
            wrong.Take(10).Select(k => $"key '{k}' version {c.Id}").ToArray());
        if (!Repair) return;
        await meta.ReplaceCommitVersionsAsync(c, fromTree, ct).ConfigureAwait(false);
        _repaired.Add($"rebuilt the version rows of commit {c.Id} of repo {c.Repo} from its tree");
    }

    private async Task<(long Count, long Bytes, HashSet<Hash> Bad)> CheckChunksAsync(HashSpill spill, CancellationToken ct)
    {
        long count = 0, bytes = 0;
        var bad = new HashSet<Hash>();
        // Existence and length come from one sorted listing merged with the sorted references, not a request per chunk.
        await using var listing = chunks.ListAsync(ct).GetAsyncEnumerator(ct);
        var has = await listing.MoveNextAsync().ConfigureAwait(false);
        await foreach (var (id, length) in spill.ReadSortedAsync(ct).ConfigureAwait(false))
        {
            count++;
            bytes += length;
            while (has && HashOrder.Compare(listing.Current.Id, id) < 0) has = await listing.MoveNextAsync().ConfigureAwait(false);
            if (!has || listing.Current.Id != id)
            {
                // A small chunk may be kept with its commit in the metadata store instead.
                var kept = length <= Chunking.ContentWriter.InlineLimit ? await meta.GetNodeAsync(id, ct).ConfigureAwait(false) : null;
                if (kept is null)
                {
                    bad.Add(id);
                    Problem("missing-chunk", $"chunk {id}", "a chunk referenced by a live file is missing");
                }
                else if (kept.Length != length || (!Quick && Hash.Of(kept) != id))
                {
                    bad.Add(id);
                    Problem("bad-chunk", $"chunk {id}", kept.Length != length ? $"it is {kept.Length} bytes, {length} recorded" : "its bytes do not hash to its id");
                }
            }
            else if (listing.Current.Length != length)
            {
                bad.Add(id);
                Problem("bad-chunk", $"chunk {id}", $"it is {listing.Current.Length} bytes, {length} recorded");
            }
            else if (!Quick && !await HashesToAsync(id, length, ct).ConfigureAwait(false))
            {
                bad.Add(id);
                Problem("bad-chunk", $"chunk {id}", "its bytes do not hash to its id");
            }
            if (count % 1000 == 0) Progress?.Report(new GcProgress("chunks", count, null));
        }
        return (count, bytes, bad);
    }

    private async Task<bool> HashesToAsync(Hash id, int length, CancellationToken ct)
    {
        var buf = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        try
        {
            await using var s = await chunks.OpenAsync(id, 0, ct).ConfigureAwait(false);
            var n = await s.ReadAtLeastAsync(buf.AsMemory(0, length), length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            return n == length && Hash.Of(buf.AsSpan(0, length)) == id;
        }
        catch (StrataException)
        {
            return false;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buf);
        }
    }

    /// <summary>Second pass, only when chunks are bad: which keys and versions read through each one.</summary>
    private async Task ReportAffectedAsync(IReadOnlyList<BranchInfo> branches, HashSet<Hash> bad, CancellationToken ct)
    {
        var affected = bad.ToDictionary(b => b, _ => new SortedSet<string>(StringComparer.Ordinal));
        var walk = new Reachability(meta)
        {
            OnEntry = (key, e, where) =>
            {
                foreach (var c in e.Chunks)
                    if (affected.TryGetValue(c.Id, out var set) && set.Count < 100)
                        set.Add($"repo {where.Repo} key '{key}' version {e.CommitId}");
            },
        };
        foreach (var br in branches)
            if (br.Head is { } head) await walk.WalkCommitAsync(head, "", ct, br.Floor).ConfigureAwait(false);
        for (var i = 0; i < _problems.Count; i++)
            if (_problems[i].Subject.StartsWith("chunk ", StringComparison.Ordinal) && affected.TryGetValue(Hash.Parse(_problems[i].Subject[6..]), out var set))
                _problems[i] = _problems[i] with { Affects = set.ToList() };
    }

    private void CheckLeftovers()
    {
        if (chunks is not ILeftovers store) return;
        var stale = store.ListLeftovers(TimeSpan.FromHours(1));
        if (stale.Count == 0) return;
        if (!Repair)
        {
            // Not a problem with the data; counted so that --repair has a reason to run.
            Problem("leftover", $"{stale.Count} temporary files", "left by interrupted writes; --repair removes them", stale.Take(10).ToArray());
            return;
        }
        foreach (var name in stale) store.DeleteLeftover(name);
        _repaired.Add($"removed {stale.Count} temporary files left by interrupted writes");
    }

    public static async Task<FsckResult?> LastResultAsync(IMetadataStore meta, CancellationToken ct) =>
        await meta.GetSettingAsync(LastResultKey, ct).ConfigureAwait(false) is { Length: > 0 } json ? System.Text.Json.JsonSerializer.Deserialize<FsckResult>(json) : null;
}
