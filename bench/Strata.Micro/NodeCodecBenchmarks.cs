using BenchmarkDotNet.Attributes;
using Strata.Core;
using Strata.Core.Tree;

namespace Strata.Micro;

/// <summary>Encoding and decoding one full node: a leaf of 64 file entries, and an internal node of 64 children.</summary>
public class NodeCodecBenchmarks
{
    private Node _leaf = null!;
    private Node _internal = null!;
    private byte[] _leafBytes = [];
    private byte[] _internalBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        _leaf = new Node(Enumerable.Range(0, TreeWriter.MaxLeaf)
            .Select(i => new KeyValuePair<string, FileEntry>(TreeData.Key(i), TreeData.Entry(i))).ToArray());
        _internal = new Node(1, Enumerable.Range(0, TreeWriter.MaxFanout)
            .Select(i => new ChildRef(TreeData.Key(64 * i + 63), Hash.Of(BitConverter.GetBytes(i)), 64, 64L * 3_000_000)).ToArray());
        _leafBytes = NodeCodec.Encode(_leaf);
        _internalBytes = NodeCodec.Encode(_internal);
        Console.WriteLine($"// encoded leaf: {_leafBytes.Length} bytes, internal node: {_internalBytes.Length} bytes");
    }

    [Benchmark]
    public byte[] EncodeLeaf() => NodeCodec.Encode(_leaf);

    [Benchmark]
    public Node DecodeLeaf() => NodeCodec.Decode(_leafBytes);

    [Benchmark]
    public byte[] EncodeInternal() => NodeCodec.Encode(_internal);

    [Benchmark]
    public Node DecodeInternal() => NodeCodec.Decode(_internalBytes);
}
