using BenchmarkDotNet.Attributes;
using Strata.Core;
using Strata.Core.Tree;

namespace Strata.Micro;

/// <summary>
/// One key put into, and one key looked up in, a stored tree of 1,000 / 100,000 / 1,000,000 files,
/// with every node decoded in the cache (a warm server). Each operation takes the next of 1,024
/// random keys, so it does not walk one hot path. A put is what a PutObject commit does to the
/// tree: rewrite (encode, BLAKE3) the leaf and the internal nodes above it.
/// </summary>
public class TreeBenchmarks
{
    private const int Rotation = 1024;
    private NodeCache _cache = null!;
    private Hash _root;
    private string[] _present = [];
    private Mutation[][] _puts = [];
    private int _next;

    [Params(1_000, 100_000, 1_000_000)]
    public int Keys { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_cache, _root) = TreeData.BuildAsync(Keys).GetAwaiter().GetResult();
        var rnd = new Random(12);
        _present = new string[Rotation];
        _puts = new Mutation[Rotation][];
        for (var i = 0; i < Rotation; i++)
        {
            _present[i] = TreeData.Key(2 * rnd.Next(Keys));
            var fresh = 2 * rnd.Next(Keys) + 1;
            _puts[i] = [new Mutation(TreeData.Key(fresh), TreeData.Entry(fresh))];
        }
        if (Lookup() is null) throw new InvalidOperationException("a present key was not found");
    }

    /// <summary>Inserts one new key into the tree (the nodes it writes are kept, as a commit would store them).</summary>
    [Benchmark]
    public Hash? Put()
    {
        var w = new TreeWriter(_cache);
        return w.ApplyAsync(_root, _puts[_next++ & (Rotation - 1)], CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>Finds one present key.</summary>
    [Benchmark]
    public FileEntry? Lookup() =>
        TreeReader.GetAsync(_cache, _root, _present[_next++ & (Rotation - 1)], CancellationToken.None).GetAwaiter().GetResult();
}
