using Strata.Core.Storage;
using Strata.Core.Tree;

namespace Strata.Core.Maintenance;

/// <summary>Where a walk found something: the commit (and repo) whose tree or history led there, and the keys below it.</summary>
public readonly record struct WalkContext(string Repo, string CommitId, string? KeysAfter, string? KeysUpTo)
{
    public override string ToString() =>
        KeysUpTo is null ? $"commit {CommitId} of repo {Repo}"
        : $"commit {CommitId} of repo {Repo}, keys {(KeysAfter is null ? "up to" : $"after '{KeysAfter}' up to")} '{KeysUpTo}'";
}

/// <summary>
/// Walks everything reachable from a set of commits and trees: each commit's history, each
/// commit's tree, each tree node once (a node shared by many commits is read once), and reports
/// what it visits and what is missing. Nodes are fetched a tree level at a time in batches.
/// Memory: the visited commits and nodes (compact keys, not strings) and one tree level.
/// </summary>
public sealed class Reachability(IMetadataStore meta)
{
    private readonly HashSet<UInt128> _commits = [];          // walked with their trees
    private readonly HashSet<UInt128> _commitsWithoutTree = []; // below a history floor: links of the chain only
    private readonly HashSet<Hash> _nodes = [];

    public int CommitCount => _commits.Count + _commitsWithoutTree.Count; // disjoint: a commit moves from one to the other
    public int NodeCount => _nodes.Count;
    public long NodeBytes { get; private set; }
    public bool HasCommit(string id) => _commits.Contains(Key(id)) || _commitsWithoutTree.Contains(Key(id));
    public bool HasNode(Hash id) => _nodes.Contains(id);

    /// <summary>Called for each commit whose tree is walked, before it is.</summary>
    public Func<CommitInfo, CancellationToken, Task>? OnCommit { get; init; }
    /// <summary>Called for each node read, with its stored bytes; false stops the walk below it (e.g. it does not decode).</summary>
    public Func<Hash, byte[], WalkContext, bool>? OnNodeBytes { get; init; }
    /// <summary>Called for each file entry of each leaf read.</summary>
    public Action<string, FileEntry, WalkContext>? OnEntry { get; init; }
    public Action<Hash, WalkContext>? OnMissingNode { get; init; }
    /// <summary>A commit named by a root or a parent pointer does not exist (id, who named it).</summary>
    public Action<string, string>? OnMissingCommit { get; init; }

    public int Missing { get; private set; }

    private static UInt128 Key(string id) =>
        CommitId.IsValid(id) ? UInt128.Parse(id, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture)
        : (UInt128)(ulong)id.GetHashCode() | ((UInt128)1 << 127); // not a commit id: never matches one

    /// <summary>
    /// Walks a commit and its ancestors, and the trees of those at or above <paramref name="floor"/>
    /// (a branch's history floor: below it commits are links of the chain only); stops where an
    /// earlier walk already went.
    /// </summary>
    public async Task WalkCommitAsync(string id, string namedBy, CancellationToken ct, long floor = 0)
    {
        string? next = id;
        var by = namedBy;
        while (next is not null)
        {
            var key = Key(next);
            if (_commits.Contains(key)) return;
            var seen = _commitsWithoutTree.Contains(key);
            CommitInfo? c = null;
            if (!seen)
            {
                c = await meta.GetCommitAsync(next, ct).ConfigureAwait(false);
                if (c is null)
                {
                    Missing++;
                    OnMissingCommit?.Invoke(next, by);
                    return;
                }
            }
            else if ((c = await meta.GetCommitAsync(next, ct).ConfigureAwait(false)) is null || c.Height < floor)
                return; // already walked as a link, and this walk wants no tree below here either
            if (c.Height >= floor)
            {
                _commitsWithoutTree.Remove(key);
                _commits.Add(key);
                if (OnCommit is not null) await OnCommit(c, ct).ConfigureAwait(false);
                if (c.Root is { } root) await WalkTreeAsync(root, new WalkContext(c.Repo, c.Id, null, null), ct).ConfigureAwait(false);
            }
            else _commitsWithoutTree.Add(key);
            by = $"the parent pointer of commit {c.Id} of repo {c.Repo}";
            next = c.Parent;
        }
    }

    /// <summary>Walks a tree from its root, level by level, skipping nodes already walked.</summary>
    public async Task WalkTreeAsync(Hash root, WalkContext context, CancellationToken ct)
    {
        var level = new List<(Hash Id, WalkContext Where)>();
        if (_nodes.Add(root)) level.Add((root, context));
        while (level.Count > 0)
        {
            var next = new List<(Hash, WalkContext)>();
            for (var i = 0; i < level.Count; i += 500)
            {
                var batch = level.GetRange(i, Math.Min(500, level.Count - i));
                var found = await meta.GetNodesAsync(batch.Select(b => b.Id).ToList(), ct).ConfigureAwait(false);
                var byId = new Dictionary<Hash, byte[]>(found.Count);
                foreach (var (fid, data) in found) byId[fid] = data;
                foreach (var (id, where) in batch)
                {
                    if (!byId.TryGetValue(id, out var data))
                    {
                        Missing++;
                        OnMissingNode?.Invoke(id, where);
                        continue;
                    }
                    NodeBytes += data.Length;
                    if (OnNodeBytes is not null && !OnNodeBytes(id, data, where)) continue;
                    Node node;
                    try
                    {
                        node = NodeCodec.Decode(data);
                    }
                    catch (Exception e) when (e is StrataException or FormatException or InvalidDataException or ArgumentException or IndexOutOfRangeException or EndOfStreamException or OverflowException)
                    {
                        // Only reached without OnNodeBytes (fsck checks decoding there): treat as missing.
                        Missing++;
                        OnMissingNode?.Invoke(id, where);
                        continue;
                    }
                    if (node.IsLeaf)
                    {
                        if (OnEntry is not null)
                            foreach (var (key, entry) in node.Entries) OnEntry(key, entry, where);
                        continue;
                    }
                    if (node.IsOverlay)
                    {
                        // A commit stored as changes on a base tree: both are what it holds.
                        if (OnEntry is not null)
                            foreach (var (key, entry) in node.Changes)
                                if (entry is not null) OnEntry(key, entry, where);
                        if (node.Base is { } b && _nodes.Add(b)) next.Add((b, where));
                        continue;
                    }
                    string? after = where.KeysAfter;
                    foreach (var child in node.Children)
                    {
                        if (_nodes.Add(child.Id)) next.Add((child.Id, where with { KeysAfter = after, KeysUpTo = child.MaxKey }));
                        after = child.MaxKey;
                    }
                }
            }
            level = next;
        }
    }
}
