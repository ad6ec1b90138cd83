using System.Collections.Concurrent;
using Strata.Core;
using Strata.Core.Storage;
using Strata.Core.Tree;

namespace Strata.Micro;

/// <summary>Realistic keys and file entries for the tree and codec benchmarks, and an in-memory node store.</summary>
public static class TreeData
{
    private static readonly string Commit = "0f3c9a51d2e84b7f9a6c1e2d3b4a5f60";

    /// <summary>The i-th key of a dataset laid out as 1,000 files per directory: data/d0042/part-0042017.parquet.</summary>
    public static string Key(int i) => $"data/d{i / 1000:D4}/part-{i:D7}.parquet";

    /// <summary>A single-chunk file entry as a PutObject of a few MB writes it (ETag, content hash, one chunk, Content-Type).</summary>
    public static FileEntry Entry(int i)
    {
        var hash = Hash.Of(BitConverter.GetBytes(i));
        var size = 1_000_000L + i % 4_000_000;
        return new FileEntry
        {
            Size = size,
            ETag = Convert.ToHexStringLower(hash.ToBytes().AsSpan(0, 16)),
            ContentHash = hash,
            CommitId = Commit,
            ModifiedUnixMs = 1_796_000_000_000 + i,
            Chunks = [new ChunkRef(hash, (int)size)],
            Headers = [new("content-type", "application/vnd.apache.parquet")],
        };
    }

    /// <summary>A metadata store that only holds tree nodes (what NodeCache reads on a miss).</summary>
    public static (IMetadataStore Store, ConcurrentDictionary<Hash, byte[]> Nodes) NodeStore()
    {
        var nodes = new ConcurrentDictionary<Hash, byte[]>();
        var store = Stub.Create<IMetadataStore>(new Dictionary<string, Func<object?[], object?>>
        {
            [nameof(IMetadataStore.GetNodeAsync)] = a => Task.FromResult(nodes.TryGetValue((Hash)a[0]!, out var d) ? d : null),
        });
        return (store, nodes);
    }

    /// <summary>A tree of the keys Key(0), Key(2), ... Key(2 * (count - 1)) (the odd keys are free for inserts), built in one batch.</summary>
    public static async Task<(NodeCache Cache, Hash Root)> BuildAsync(int count)
    {
        var (store, nodes) = NodeStore();
        // Large enough that the whole tree (and the benchmarks' new paths) stays decoded in memory, as on a warm server.
        var cache = new NodeCache(store, 8L << 30);
        var writer = new TreeWriter(cache);
        var root = await writer.ApplyAsync(null, Enumerable.Range(0, count).Select(i => new Mutation(Key(2 * i), Entry(2 * i))), CancellationToken.None)
            .ConfigureAwait(false);
        foreach (var (id, data) in writer.NewNodes) nodes[id] = data;
        return (cache, root ?? throw new InvalidOperationException("empty tree"));
    }
}
