namespace Strata.Core.Tree;

/// <summary>
/// What a group-committed chain of commits stores. Each commit of a chain rewrites the path to its key,
/// so storing every commit's tree writes a leaf, the internal nodes and a root per small PUT (most of the
/// bytes, and of the random index pages, of its transaction). Only the last commit's tree is needed whole
/// (it becomes the branch head and what the next chain builds on); the ones before it are stored as
/// overlays (<see cref="Node.IsOverlay"/>): the chain's base tree with the keys changed since, read back
/// by applying them in memory. An overlay grows with its place in the chain, so once its changes pass
/// <see cref="MaxOverlayBytes"/> that commit is stored whole and the next overlays build on it.
/// </summary>
public static class ChainOverlays
{
    public const long MaxOverlayBytes = 8192;

    /// <summary>One commit of the chain: its id, the root its writer built and the changes it made.</summary>
    public readonly record struct Step(string CommitId, Hash? Root, IReadOnlyList<Mutation> Changes);

    /// <summary>
    /// An overlay's id: its commit's id, then the low half of its hash. Content hashes land on random pages of the
    /// node index, one page written per node; commit ids are time-ordered, so a chain's overlays share pages.
    /// </summary>
    public static Hash OverlayId(string commitId, byte[] data) =>
        new(UInt128.Parse(commitId, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture), Hash.Of(data).Lo);

    /// <summary>Whether stored bytes fit their id as an overlay (fsck: an overlay's id is not its whole hash).</summary>
    public static bool FitsOverlayId(Hash id, byte[] data) => NodeCodec.IsOverlay(data) && Hash.Of(data).Lo == id.Lo;

    /// <summary>
    /// The root to store for each step (an overlay's id, or the step's own root) and the nodes to store:
    /// the overlays, the small files' content and the nodes of the whole trees (those of <paramref name="writer"/>'s new nodes they reach).
    /// </summary>
    public static async Task<(Hash?[] Roots, Dictionary<Hash, byte[]> Nodes)> PlanAsync(Hash? baseRoot, IReadOnlyList<Step> steps,
        TreeWriter writer, CancellationToken ct)
    {
        var roots = new Hash?[steps.Count];
        var nodes = new Dictionary<Hash, byte[]>();
        var whole = new List<Hash>();
        var changes = new SortedDictionary<string, FileEntry?>(KeyOrder.Instance);
        long bytes = 0;
        // A chain on an overlay (a branch made at an old commit) stores its first tree whole: overlays stand on whole trees.
        var onOverlay = baseRoot is { } b && (await writer.LoadAsync(b, ct).ConfigureAwait(false)).IsOverlay;
        for (var i = 0; i < steps.Count; i++)
        {
            var (commitId, root, mutations) = steps[i];
            roots[i] = root;
            foreach (var m in mutations)
            {
                changes[m.Key] = m.Value;
                bytes += m.Value is { } v ? NodeCodec.EstimateSize(m.Key, v) : m.Key.Length + 3;
            }
            if (root is not { } r) continue; // an empty tree stores nothing
            if (i == steps.Count - 1 || bytes > MaxOverlayBytes || onOverlay)
            {
                onOverlay = false;
                whole.Add(r);
                (baseRoot, bytes) = (r, 0);
                changes.Clear();
                continue;
            }
            var tree = await writer.LoadAsync(r, ct).ConfigureAwait(false);
            var data = NodeCodec.Encode(new Node(baseRoot, [.. changes], tree.Count, tree.Bytes));
            var id = OverlayId(commitId, data);
            nodes[id] = data;
            roots[i] = id;
        }
        foreach (var id in writer.InlineIds) nodes[id] = writer.NewNodes[id];
        // The whole trees' new nodes: a walk down from each root through the nodes this writer made.
        var stack = new Stack<Hash>(whole);
        while (stack.Count > 0)
        {
            var id = stack.Pop();
            if (nodes.ContainsKey(id) || !writer.NewNodes.TryGetValue(id, out var data)) continue;
            nodes[id] = data;
            var node = await writer.LoadAsync(id, ct).ConfigureAwait(false);
            if (!node.IsLeaf)
                foreach (var c in node.Children) stack.Push(c.Id);
        }
        return (roots, nodes);
    }
}
