using Strata.S3.Streaming;

namespace Strata.S3.Tests;

public class CrcCombineTests
{
    [Theory]
    [InlineData(ChecksumAlgorithm.CRC32)]
    [InlineData(ChecksumAlgorithm.CRC32C)]
    [InlineData(ChecksumAlgorithm.CRC64NVME)]
    public void CombinedPiecesEqualWholeCrc(ChecksumAlgorithm alg)
    {
        var rnd = new Random(7);
        var data = new byte[300_000];
        rnd.NextBytes(data);
        foreach (var cuts in new[] { new[] { 1 }, new[] { 100_000, 200_000 }, new[] { 0, 5, 299_999 }, new[] { 150_000 } })
        {
            var bounds = new List<int> { 0 };
            bounds.AddRange(cuts);
            bounds.Add(data.Length);
            var pieces = new List<(string, long)>();
            for (var i = 0; i + 1 < bounds.Count; i++)
            {
                var piece = data.AsSpan(bounds[i], bounds[i + 1] - bounds[i]);
                pieces.Add((ChecksumAlgorithms.ComputeBase64(alg, piece), piece.Length));
            }
            Assert.Equal(ChecksumAlgorithms.ComputeBase64(alg, data), CrcCombine.CombineBase64(alg, pieces));
        }
    }
}
