using Strata.Core;
using Strata.Core.Tree;

namespace Strata.Core.Tests;

public class TreeDiffTests
{
    private static FileEntry Entry(string tag) => new()
    {
        Size = tag.Length, ETag = tag, ContentHash = Hash.Of([1]), CommitId = tag, ModifiedUnixMs = 0, Chunks = [],
    };

    /// <summary>Counts node loads, to show that a diff skips what both trees share.</summary>
    private sealed class CountingStore : NodeDictionaryStoreBase
    {
        public int Loads;
        public override Task<byte[]?> GetNodeAsync(Hash id, CancellationToken ct)
        {
            Interlocked.Increment(ref Loads);
            return base.GetNodeAsync(id, ct);
        }
    }

    private static async Task<Hash?> ApplyAsync(NodeDictionaryStoreBase store, NodeCache cache, Hash? root, IEnumerable<Mutation> muts)
    {
        var w = new TreeWriter(cache);
        var r = await w.ApplyAsync(root, muts, CancellationToken.None);
        foreach (var (id, data) in w.NewNodes) store.Nodes[id] = data;
        return r;
    }

    private static async Task<List<TreeChange>> DiffAsync(NodeCache cache, Hash? a, Hash? b)
    {
        var list = new List<TreeChange>();
        await foreach (var c in TreeDiff.DiffAsync(cache, a, b, CancellationToken.None)) list.Add(c);
        return list;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task MatchesModelDifference(int seed)
    {
        var rnd = new Random(seed);
        var store = new NodeDictionaryStore();
        var cache = new NodeCache(store);
        var model = new SortedDictionary<string, string>(KeyOrder.Instance);
        Hash? root = null;
        var snapshots = new List<(Hash? Root, Dictionary<string, string> Model)>();
        for (var round = 0; round < 25; round++)
        {
            var muts = new List<Mutation>();
            for (var i = rnd.Next(1, round == 0 ? 3000 : 300); i > 0; i--)
            {
                var key = $"f{rnd.Next(4000):D5}";
                var del = rnd.Next(4) == 0;
                var tag = $"{round}.{i}";
                muts.Add(new Mutation(key, del ? null : Entry(tag)));
            }
            foreach (var m in muts)
                if (m.Value is null) model.Remove(m.Key); else model[m.Key] = m.Value.ETag;
            root = await ApplyAsync(store, cache, root, muts);
            snapshots.Add((root, new Dictionary<string, string>(model)));
        }
        for (var t = 0; t < 20; t++)
        {
            var (ra, ma) = snapshots[rnd.Next(snapshots.Count)];
            var (rb, mb) = snapshots[rnd.Next(snapshots.Count)];
            var expected = ma.Keys.Union(mb.Keys).Order(StringComparer.Ordinal)
                .Where(k => !ma.TryGetValue(k, out var va) || !mb.TryGetValue(k, out var vb) || va != vb)
                .Select(k => (k, !ma.ContainsKey(k) ? ChangeKind.Added : !mb.ContainsKey(k) ? ChangeKind.Deleted : ChangeKind.Modified))
                .ToList();
            var got = (await DiffAsync(cache, ra, rb)).Select(c => (c.Key, c.Kind)).ToList();
            Assert.Equal(expected, got);
        }
        Assert.Empty(await DiffAsync(cache, root, root));
    }

    [Fact]
    public async Task SmallChangeInLargeTreeReadsFewNodes()
    {
        var store = new CountingStore();
        var writerCache = new NodeCache(store);
        var root = await ApplyAsync(store, writerCache, null, Enumerable.Range(0, 100_000).Select(i => new Mutation($"file-{i:D6}", Entry("x"))));
        var root2 = await ApplyAsync(store, writerCache, root, [new Mutation("file-031337", Entry("y")), new Mutation("zz-new", Entry("n"))]);
        var cold = new NodeCache(store);
        store.Loads = 0;
        var changes = await DiffAsync(cold, root, root2);
        Assert.Equal([("file-031337", ChangeKind.Modified), ("zz-new", ChangeKind.Added)], changes.Select(c => (c.Key, c.Kind)));
        // Two root-to-leaf paths per side at depth 3, not the ~1,600 leaves of the tree.
        Assert.InRange(store.Loads, 2, 30);
    }
}
