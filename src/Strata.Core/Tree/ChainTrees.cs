namespace Strata.Core.Tree;

/// <summary>
/// The trees of a group-committed chain of commits. Storing every commit's whole tree would write a leaf,
/// the internal nodes and a root per small PUT (most of the bytes, and of the random index pages, of the
/// chain's transaction), and building them cost more CPU than anything else in a small PUT. Only the last
/// commit's tree is needed whole: it becomes the branch head, and the next chain builds on it. So while the
/// chain grows, commits only record their changes (<see cref="ApplyAsync"/>); <see cref="SealAsync"/> then
/// builds the last tree once, and stores each commit before it as an overlay (<see cref="Node.IsOverlay"/>):
/// a whole tree with the keys changed since. An overlay repeats the changes of the commits before it, so
/// once they pass <see cref="MaxOverlayBytes"/> that commit is stored whole and the next overlays build on it.
/// </summary>
public sealed class ChainTrees(TreeWriter writer, Hash? baseRoot)
{
    public const long MaxOverlayBytes = 8192;

    private readonly SortedDictionary<string, FileEntry?> _changes = new(KeyOrder.Instance); // since the start, for reads
    private readonly List<(string CommitId, KeyValuePair<string, FileEntry?>[] Changes, long Count, long Bytes)> _steps = [];
    private readonly List<Hash> _whole = [];
    private bool _started;
    private Hash? _start;
    private long _count, _bytes;

    public TreeWriter Writer => writer;

    // The chain's base tree, read on first use; an overlay (a branch made at an old commit) is made whole first, and stored.
    private async Task StartAsync(CancellationToken ct)
    {
        if (_started) return;
        var root = baseRoot;
        if (root is { } r && (await writer.LoadAsync(r, ct).ConfigureAwait(false)).IsOverlay)
        {
            root = await writer.ApplyAsync(r, [], ct).ConfigureAwait(false);
            if (root is { } whole) _whole.Add(whole);
        }
        if (root is { } t)
        {
            var top = await writer.LoadAsync(t, ct).ConfigureAwait(false);
            (_count, _bytes) = (top.Count, top.Bytes);
        }
        (_start, _started) = (root, true);
    }

    /// <summary>A key as the last commit of the chain has it.</summary>
    public async Task<FileEntry?> GetAsync(string key, CancellationToken ct)
    {
        await StartAsync(ct).ConfigureAwait(false);
        return _changes.TryGetValue(key, out var e) ? e : await TreeReader.GetAsync(writer.LoadAsync, _start, key, ct).ConfigureAwait(false);
    }

    /// <summary>Records a commit's changes (the last one for a key wins); false, recording nothing, if they change no key.</summary>
    public async Task<bool> ApplyAsync(string commitId, IEnumerable<Mutation> mutations, bool force, CancellationToken ct)
    {
        var last = new SortedDictionary<string, Mutation>(KeyOrder.Instance);
        foreach (var m in mutations) last[m.Key] = m;
        var olds = new FileEntry?[last.Count];
        var changed = false;
        var i = 0;
        foreach (var (key, m) in last)
        {
            olds[i] = await GetAsync(key, ct).ConfigureAwait(false);
            changed |= !Same(olds[i++], m.Value);
        }
        if (!changed && !force) return false;
        var step = new KeyValuePair<string, FileEntry?>[last.Count];
        i = 0;
        foreach (var (key, m) in last)
        {
            var old = olds[i];
            _count += (m.Value is null ? 0 : 1) - (old is null ? 0 : 1);
            _bytes += (m.Value?.Size ?? 0) - (old?.Size ?? 0);
            _changes[key] = m.Value;
            writer.KeepInline(m);
            step[i++] = new(key, m.Value);
        }
        _steps.Add((commitId, step, _count, _bytes));
        return true;
    }

    // Equal entries leave the tree as it was (an entry of a new version always differs: it names its commit).
    private static bool Same(FileEntry? a, FileEntry? b) =>
        a is null || b is null ? a is null && b is null
        : a.CommitId == b.CommitId && NodeCodec.Encode(new Node([new("", a)])).AsSpan().SequenceEqual(NodeCodec.Encode(new Node([new("", b)])));

    /// <summary>
    /// The root to store for each commit recorded (in order) and the nodes to store: the overlays, the small
    /// files' content and the new nodes of the whole trees. The last root is always a whole tree.
    /// </summary>
    public async Task<(Hash?[] Roots, Dictionary<Hash, byte[]> Nodes)> SealAsync(CancellationToken ct)
    {
        var roots = new Hash?[_steps.Count];
        var nodes = new Dictionary<Hash, byte[]>();
        var acc = new SortedDictionary<string, FileEntry?>(KeyOrder.Instance);
        var @base = _start;
        long bytes = 0;
        for (var i = 0; i < _steps.Count; i++)
        {
            var (commitId, changes, count, total) = _steps[i];
            foreach (var (key, e) in changes)
            {
                acc[key] = e;
                bytes += e is { } v ? NodeCodec.EstimateSize(key, v) : key.Length + 3;
            }
            if (i == _steps.Count - 1 || bytes > MaxOverlayBytes)
            {
                var root = await writer.ApplyAsync(@base, acc.Select(c => new Mutation(c.Key, c.Value)), ct).ConfigureAwait(false);
                if (root is { } r) _whole.Add(r);
                (roots[i], @base, bytes) = (root, root, 0);
                acc.Clear();
                continue;
            }
            if (count == 0) continue; // an empty tree is no root at all
            var data = NodeCodec.Encode(new Node(@base, [.. acc], count, total));
            var id = OverlayId(commitId, data);
            nodes[id] = data;
            roots[i] = id;
        }
        foreach (var id in writer.InlineIds) nodes[id] = writer.NewNodes[id];
        // The whole trees' new nodes: a walk down from each root through the nodes this writer made.
        var stack = new Stack<Hash>(_whole);
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

    /// <summary>
    /// An overlay's id: its commit's id, then the low half of its hash. Content hashes land on random pages of the
    /// node index, one page written per node; commit ids are time-ordered, so a chain's overlays share pages.
    /// </summary>
    public static Hash OverlayId(string commitId, byte[] data) =>
        new(UInt128.Parse(commitId, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture), Hash.Of(data).Lo);

    /// <summary>Whether stored bytes fit their id as an overlay (fsck: an overlay's id is not its whole hash).</summary>
    public static bool FitsOverlayId(Hash id, Hash hashOfData, byte[] data) => hashOfData.Lo == id.Lo && NodeCodec.IsOverlay(data);
}
