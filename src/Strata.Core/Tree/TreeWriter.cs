namespace Strata.Core.Tree;

/// <summary>
/// A change to one key: a new entry, or null to remove it. A removal with <paramref name="Marker"/> makes a
/// commit (a delete marker, as a versioned S3 bucket writes) even when the key was already absent.
/// </summary>
public readonly record struct Mutation(string Key, FileEntry? Value, bool Marker = false)
{
    /// <summary>
    /// The content of a small new file (<see cref="Chunking.ContentInfo.Inline"/>): stored with the commit's
    /// nodes, in its transaction, under the id of the entry's one chunk, instead of in the chunk store.
    /// </summary>
    public byte[]? Inline { get; init; }

    /// <summary>The new version's object tags (S3 tagging), stored in the commit's transaction; null or empty: none.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Tags { get; init; }
}

/// <summary>
/// Applies a batch of mutations to a copy-on-write B+tree. Only the nodes on the paths to
/// the changed keys are rewritten: k changes in an N-file tree write O(k log N) nodes.
/// The new nodes are collected in <see cref="NewNodes"/> for the caller to persist with the commit.
/// </summary>
/// <remarks>
/// <paramref name="pending"/>: the new nodes of an earlier chain of commits this one builds on, not stored yet
/// (group commit builds the next chain while the previous one is being stored).
/// </remarks>
public sealed class TreeWriter(NodeCache cache, IReadOnlyDictionary<Hash, byte[]>? pending = null)
{
    // Every commit rewrites the leaf and the internal nodes on the path to each changed key, so node
    // size is written (and hashed) once per small PUT: leaves are bounded by encoded bytes (a multipart
    // entry with thousands of parts is far larger than a plain one) as well as by count, and fanout is
    // modest. Trees written with other bounds stay readable: only rewritten nodes take the new shape.
    public const int MaxLeaf = 64;
    public const int LeafBytes = 4096;
    public const int MaxFanout = 32;

    public Dictionary<Hash, byte[]> NewNodes { get; } = [];

    /// <summary>The ids in <see cref="NewNodes"/> that are small files' content, not tree nodes.</summary>
    public HashSet<Hash> InlineIds { get; } = [];

    /// <summary>
    /// Returns the new root (null for an empty tree). Mutations may be in any order; the last one for a key wins.
    /// An overlay root is first made whole: the result is always a plain tree.
    /// </summary>
    public async Task<Hash?> ApplyAsync(Hash? root, IEnumerable<Mutation> mutations, CancellationToken ct)
    {
        if (root is { } r && await LoadAsync(r, ct).ConfigureAwait(false) is { IsOverlay: true } overlay)
            root = await ApplyAsync(overlay.Base, overlay.Changes.Select(c => new Mutation(c.Key, c.Value)), ct).ConfigureAwait(false);
        var sorted = new SortedDictionary<string, FileEntry?>(KeyOrder.Instance);
        foreach (var m in mutations)
        {
            sorted[m.Key] = m.Value;
            KeepInline(m);
        }
        var muts = sorted.Select(kv => new Mutation(kv.Key, kv.Value)).ToArray();
        if (muts.Length == 0) return root;

        List<ChildRef> refs;
        int level;
        if (root is null)
        {
            refs = PackLeaves(muts.Where(m => m.Value is not null).Select(m => new KeyValuePair<string, FileEntry>(m.Key, m.Value!)).ToList());
            level = 0;
        }
        else
        {
            var rootNode = await LoadAsync(root.Value, ct).ConfigureAwait(false);
            level = rootNode.Level;
            refs = await ApplyNodeAsync(rootNode, muts, ct).ConfigureAwait(false);
        }
        while (refs.Count > 1)
            refs = PackInternal(++level, refs);
        if (refs.Count == 0) return null;
        var top = refs[0].Id;
        // A root with a single child adds a level for nothing: collapse it.
        while (true)
        {
            var n = await LoadAsync(top, ct).ConfigureAwait(false);
            if (n.IsLeaf || n.Children.Length != 1) return top;
            top = n.Children[0].Id;
        }
    }

    /// <summary>Keeps a small new file's content (<see cref="Mutation.Inline"/>) to be stored with the nodes.</summary>
    public void KeepInline(Mutation m)
    {
        if (m is not { Inline: { } blob, Value.Chunks: [var only] }) return;
        NewNodes[only.Id] = blob;
        InlineIds.Add(only.Id);
    }

    // A node this writer made is not stored yet (a chain of commits builds on its own new trees),
    // so it must come from NewNodes if the bounded cache has already let it go.
    public ValueTask<Node> LoadAsync(Hash id, CancellationToken ct) =>
        cache.TryGet(id, out var hit) ? ValueTask.FromResult(hit)
        : NewNodes.TryGetValue(id, out var fresh) || pending?.TryGetValue(id, out fresh) == true ? ValueTask.FromResult(NodeCodec.Decode(fresh!))
        : cache.LoadAsync(id, ct);

    private async Task<List<ChildRef>> ApplyNodeAsync(Node node, ReadOnlyMemory<Mutation> muts, CancellationToken ct)
    {
        if (node.IsLeaf) return PackLeaves(Merge(node.Entries, muts.Span));
        var result = new List<ChildRef>(node.Children.Length + 2);
        var i = 0;
        for (var j = 0; j < node.Children.Length; j++)
        {
            var c = node.Children[j];
            var start = i;
            var last = j == node.Children.Length - 1;
            while (i < muts.Length && (last || KeyOrder.Instance.Compare(muts.Span[i].Key, c.MaxKey) <= 0)) i++;
            if (i == start) { result.Add(c); continue; }
            var child = await LoadAsync(c.Id, ct).ConfigureAwait(false);
            result.AddRange(await ApplyNodeAsync(child, muts[start..i], ct).ConfigureAwait(false));
        }
        return PackInternal(node.Level, result);
    }

    private static List<KeyValuePair<string, FileEntry>> Merge(KeyValuePair<string, FileEntry>[] entries, ReadOnlySpan<Mutation> muts)
    {
        var outp = new List<KeyValuePair<string, FileEntry>>(entries.Length + muts.Length);
        int a = 0, b = 0;
        while (a < entries.Length || b < muts.Length)
        {
            var cmp = a == entries.Length ? 1 : b == muts.Length ? -1 : KeyOrder.Instance.Compare(entries[a].Key, muts[b].Key);
            if (cmp < 0) { outp.Add(entries[a++]); continue; }
            if (cmp == 0) a++;
            if (muts[b].Value is { } v) outp.Add(new(muts[b].Key, v));
            b++;
        }
        return outp;
    }

    private List<ChildRef> PackLeaves(List<KeyValuePair<string, FileEntry>> entries)
    {
        var refs = new List<ChildRef>();
        foreach (var part in SplitBySize(entries))
            refs.Add(Store(new Node(entries.GetRange(part.Start, part.Count).ToArray())));
        return refs;
    }

    private List<ChildRef> PackInternal(int level, List<ChildRef> children)
    {
        var refs = new List<ChildRef>();
        foreach (var part in Split(children.Count, MaxFanout))
            refs.Add(Store(new Node(level, children.GetRange(part.Start, part.Count).ToArray())));
        return refs;
    }

    /// <summary>Splits n items into the fewest runs of at most max, of near-equal size.</summary>
    private static IEnumerable<(int Start, int Count)> Split(int n, int max)
    {
        if (n == 0) yield break;
        var parts = (n + max - 1) / max;
        var start = 0;
        for (var p = 0; p < parts; p++)
        {
            var count = n / parts + (p < n % parts ? 1 : 0);
            yield return (start, count);
            start += count;
        }
    }

    /// <summary>
    /// Splits leaf entries into the fewest runs that keep each under <see cref="MaxLeaf"/> entries and
    /// (as far as single entries allow) <see cref="LeafBytes"/>, each run taking its even share of what is
    /// left, so a split leaf leaves room on both sides.
    /// </summary>
    internal static List<(int Start, int Count)> SplitBySize(List<KeyValuePair<string, FileEntry>> entries)
    {
        var n = entries.Count;
        var runs = new List<(int, int)>();
        if (n == 0) return runs;
        var sizes = new long[n];
        long total = 0;
        for (var i = 0; i < n; i++) total += sizes[i] = NodeCodec.EstimateSize(entries[i].Key, entries[i].Value);
        int start = 0, at = 0;
        while (start < n)
        {
            // Counted again after each run: a large entry that took a run of its own leaves the rest their own count.
            var left = n - start;
            var parts = (int)Math.Min(left, Math.Max((left + MaxLeaf - 1) / MaxLeaf, (total + LeafBytes - 1) / LeafBytes));
            if (parts == 1) { runs.Add((start, left)); break; }
            // This run's even share of what is left; take entries until it is reached, leaving one entry for each later
            // run. A run never passes LeafBytes (unless one entry does), so a leaf rewritten unchanged in size stays one leaf.
            var share = total / parts;
            long sum = 0;
            while (at < n - (parts - 1) && at - start < MaxLeaf && (at == start || (sum + sizes[at] / 2 <= share && sum + sizes[at] <= LeafBytes))) sum += sizes[at++];
            runs.Add((start, at - start));
            total -= sum;
            start = at;
        }
        return runs;
    }

    private ChildRef Store(Node node)
    {
        var data = NodeCodec.Encode(node);
        var id = Hash.Of(data);
        NewNodes[id] = data;
        cache.Add(id, node, data.Length);
        return new ChildRef(node.MaxKey, id, node.Count, node.Bytes);
    }
}
