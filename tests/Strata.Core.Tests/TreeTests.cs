using Strata.Core;
using Strata.Core.Tree;

namespace Strata.Core.Tests;

public class TreeTests
{
    private static FileEntry Entry(long size, string tag) => new()
    {
        Size = size, ETag = tag, ContentHash = Hash.Of([1]), CommitId = new string('0', 32), ModifiedUnixMs = 0, Chunks = [],
    };

    private sealed class Harness
    {
        public readonly NodeDictionaryStore Store = new();
        public readonly NodeCache Cache;
        public Harness(long cacheBytes) => Cache = new NodeCache(Store, cacheBytes);

        public async Task<(Hash? Root, int Written)> ApplyAsync(Hash? root, IEnumerable<Mutation> muts)
        {
            var w = new TreeWriter(Cache);
            var r = await w.ApplyAsync(root, muts, CancellationToken.None);
            foreach (var (id, data) in w.NewNodes) Store.Nodes[id] = data;
            return (r, w.NewNodes.Count);
        }

        public async Task<List<KeyValuePair<string, FileEntry>>> AllAsync(Hash? root)
        {
            var c = new TreeCursor(Cache, root);
            var list = new List<KeyValuePair<string, FileEntry>>();
            for (var ok = await c.SeekAsync("", true, CancellationToken.None); ok; ok = await c.NextAsync(CancellationToken.None))
                list.Add(c.Current!.Value);
            return list;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task RandomEditsMatchSortedMapModel(int seed)
    {
        var rnd = new Random(seed);
        // A tiny cache forces nodes to be re-read from the store, as after a restart.
        var h = new Harness(cacheBytes: seed % 2 == 0 ? 1 : 64 << 20);
        var model = new SortedDictionary<string, FileEntry>(KeyOrder.Instance);
        Hash? root = null;
        var keySpace = 3000;
        for (var round = 0; round < 60; round++)
        {
            var batch = new List<Mutation>();
            var n = rnd.Next(1, round % 10 == 0 ? 800 : 40);
            for (var i = 0; i < n; i++)
            {
                var key = $"k/{rnd.Next(keySpace):D5}" + (rnd.Next(5) == 0 ? "/é" : "");
                var del = rnd.Next(3) == 0;
                var e = del ? null : Entry(rnd.Next(1000), $"{round}-{i}");
                batch.Add(new Mutation(key, e));
            }
            foreach (var m in batch)
                if (m.Value is null) model.Remove(m.Key); else model[m.Key] = m.Value;
            (root, _) = await h.ApplyAsync(root, batch);

            var all = await h.AllAsync(root);
            Assert.Equal(model.Keys, all.Select(kv => kv.Key));
            Assert.Equal(model.Values.Select(v => v.ETag), all.Select(kv => kv.Value.ETag));
            var (count, bytes) = await TreeReader.TotalsAsync(h.Cache, root, CancellationToken.None);
            Assert.Equal(model.Count, count);
            Assert.Equal(model.Values.Sum(v => v.Size), bytes);
            foreach (var probe in Enumerable.Range(0, 20).Select(_ => $"k/{rnd.Next(keySpace):D5}"))
            {
                var got = await TreeReader.GetAsync(h.Cache, root, probe, CancellationToken.None);
                Assert.Equal(model.TryGetValue(probe, out var want) ? want.ETag : null, got?.ETag);
            }
        }
    }

    [Fact]
    public async Task DeletingEverythingGivesEmptyTree()
    {
        var h = new Harness(64 << 20);
        var keys = Enumerable.Range(0, 500).Select(i => $"f{i}").ToList();
        var (root, _) = await h.ApplyAsync(null, keys.Select(k => new Mutation(k, Entry(1, k))));
        Assert.NotNull(root);
        (root, _) = await h.ApplyAsync(root, keys.Select(k => new Mutation(k, null)));
        Assert.Null(root);
    }

    [Fact]
    public async Task OneChangeInLargeTreeWritesOnlyItsPath()
    {
        var h = new Harness(64 << 20);
        var (root, _) = await h.ApplyAsync(null, Enumerable.Range(0, 100_000).Select(i => new Mutation($"file-{i:D6}", Entry(i, "x"))));
        var (root2, written) = await h.ApplyAsync(root, [new Mutation("file-050000", Entry(7, "y"))]);
        // One leaf plus its ancestors: 100k small entries make ~2,500 leaves under 3 levels at fanout 32.
        Assert.InRange(written, 1, 4);
        Assert.NotEqual(root, root2);
        Assert.Equal("y", (await TreeReader.GetAsync(h.Cache, root2, "file-050000", CancellationToken.None))!.ETag);
        Assert.Equal("x", (await TreeReader.GetAsync(h.Cache, root, "file-050000", CancellationToken.None))!.ETag);
    }

    [Fact]
    public async Task SeekWithPredicateSkipsPrefix()
    {
        var h = new Harness(64 << 20);
        var keys = new[] { "a/1", "a/2", "a/3", "b", "c/1" };
        var (root, _) = await h.ApplyAsync(null, keys.Select(k => new Mutation(k, Entry(1, k))));
        var c = new TreeCursor(h.Cache, root);
        Assert.True(await c.SeekAsync(k => string.CompareOrdinal(k, "a/") > 0 && !k.StartsWith("a/"), CancellationToken.None));
        Assert.Equal("b", c.Current!.Value.Key);
        Assert.True(await c.NextAsync(CancellationToken.None));
        Assert.Equal("c/1", c.Current!.Value.Key);
        Assert.False(await c.NextAsync(CancellationToken.None));
    }

    private sealed class CountingStore : NodeDictionaryStoreBase
    {
        public int Reads;
        public override Task<byte[]?> GetNodeAsync(Hash id, CancellationToken ct)
        {
            Interlocked.Increment(ref Reads);
            return base.GetNodeAsync(id, ct);
        }
    }

    [Fact]
    public async Task LeafStreamDoesNotEvictInternalNodes()
    {
        var store = new CountingStore();
        var w = new TreeWriter(new NodeCache(store));
        var root = await w.ApplyAsync(null, Enumerable.Range(0, 20_000).Select(i => new Mutation($"file-{i:D6}", Entry(1, "x"))), CancellationToken.None);
        foreach (var (id, data) in w.NewNodes) store.Nodes[id] = data;
        var leafBytes = w.NewNodes.Values.Where(d => NodeCodec.Decode(d).IsLeaf).Sum(d => (long)d.Length);
        // A cache far smaller than the leaves: a full listing streams every leaf through it.
        var cache = new NodeCache(store, leafBytes / 8);
        var c = new TreeCursor(cache, root);
        var n = 0;
        for (var ok = await c.SeekAsync("", true, CancellationToken.None); ok; ok = await c.NextAsync(CancellationToken.None)) n++;
        Assert.Equal(20_000, n);
        // The internal nodes above the leaves are still cached: a lookup of a cold key reads its leaf only.
        store.Reads = 0;
        Assert.NotNull(await TreeReader.GetAsync(cache, root, "file-000100", CancellationToken.None));
        Assert.Equal(1, store.Reads);
    }

    private static FileEntry Multipart(int parts) => Entry(parts, "m") with
    {
        Parts = Enumerable.Range(0, parts).Select(i => new PartRef(5 << 20, null, new string('a', 32))).ToArray(),
    };

    [Fact]
    public void LeavesAreBoundedByEncodedBytesAsWellAsByCount()
    {
        // Small entries: as many per leaf as fit in LeafBytes, never more than MaxLeaf.
        var small = Enumerable.Range(0, 1000).Select(i => new KeyValuePair<string, FileEntry>($"k{i:D5}", Entry(i, "x"))).ToList();
        AssertRuns(small, TreeWriter.SplitBySize(small));
        var one = small.Take(10).ToList();
        Assert.Single(TreeWriter.SplitBySize(one));

        // Big multipart entries (hundreds of parts) among small ones: a big entry sits in a leaf of its own
        // or with few others, and the small ones around it still fill their leaves.
        var mixed = Enumerable.Range(0, 300).Select(i => new KeyValuePair<string, FileEntry>($"k{i:D5}", i % 50 == 7 ? Multipart(400) : Entry(i, "x"))).ToList();
        var runs = TreeWriter.SplitBySize(mixed);
        AssertRuns(mixed, runs);
        foreach (var (start, count) in runs.Where(r => r.Count > 1))
            Assert.True(mixed.Skip(start).Take(count).Sum(e => Encoded(e)) <= 2 * TreeWriter.LeafBytes + mixed.Skip(start).Take(count).Max(Encoded),
                $"run at {start} of {count} entries is too large");

        static void AssertRuns(List<KeyValuePair<string, FileEntry>> entries, List<(int Start, int Count)> runs)
        {
            Assert.Equal(0, runs[0].Start);
            for (var i = 1; i < runs.Count; i++) Assert.Equal(runs[i - 1].Start + runs[i - 1].Count, runs[i].Start);
            Assert.Equal(entries.Count, runs[^1].Start + runs[^1].Count);
            Assert.All(runs, r => Assert.InRange(r.Count, 1, TreeWriter.MaxLeaf));
            // Fewest runs: no two neighbours would fit together in one leaf.
            for (var i = 1; i < runs.Count; i++)
            {
                var both = entries.Skip(runs[i - 1].Start).Take(runs[i - 1].Count + runs[i].Count).Sum(Encoded);
                Assert.True(both > TreeWriter.LeafBytes * 0.9 || runs[i - 1].Count + runs[i].Count > TreeWriter.MaxLeaf, $"runs {i - 1} and {i} could be one leaf");
            }
        }

        static long Encoded(KeyValuePair<string, FileEntry> e) => NodeCodec.Encode(new Node([e])).Length;
    }

    [Fact]
    public async Task ALargeTreeOfBigEntriesHasSmallLeaves()
    {
        var h = new Harness(64 << 20);
        var (root, _) = await h.ApplyAsync(null, Enumerable.Range(0, 2000).Select(i => new Mutation($"f{i:D5}", i % 10 == 0 ? Multipart(200) : Entry(i, "x"))));
        await h.ApplyAsync(root, Enumerable.Range(0, 200).Select(i => new Mutation($"f{i * 10 + 5:D5}", Multipart(100))));
        var leaves = h.Store.Nodes.Values.Select(NodeCodec.Decode).Where(n => n.IsLeaf).ToList();
        var big = leaves.Where(n => n.Count > 1 && NodeCodec.Encode(n).Length > 3 * TreeWriter.LeafBytes).ToList();
        Assert.Empty(big);
        Assert.Equal(2000, (await h.AllAsync(root)).Count);
    }

    [Fact]
    public void KeyOrderIsUtf8ByteOrder()
    {
        var keys = new[] { "a", "\uFFFD", "\U0001F600", "\u00E9", "Z", "\uE000" };
        var byUtf8 = keys.OrderBy(k => System.Text.Encoding.UTF8.GetBytes(k), Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y))).ToList();
        Assert.Equal(byUtf8, keys.OrderBy(k => k, KeyOrder.Instance).ToList());
    }
}
