using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

/// <summary>
/// The embedded server is killed with SIGKILL while 16 writers put small objects into one branch, so
/// that their commits are folded into groups stored with one transaction: every PUT that was answered
/// 200 is there after a restart, at the version it was given, with its bytes, and the commit of that
/// version lists as it should.
/// </summary>
public sealed class GroupCommitCrashTests(Xunit.Abstractions.ITestOutputHelper output)
{
    // 4 KiB bodies are kept with their commit in the metadata store; every fifth is 20 KiB, a chunk file.
    private static byte[] Body(string key, int round)
    {
        var b = new byte[round % 5 == 4 ? 20 << 10 : 4 << 10];
        new Random(key.GetHashCode(StringComparison.Ordinal)).NextBytes(b);
        return b;
    }

    /// <summary>(sum, count) of the commit group size histogram on the node's /metrics.</summary>
    private static async Task<(double Sum, double Count)> GroupSizesAsync(StrataNode node)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(node.AdminEndpoint + "/metrics");
        double Value(string suffix) => text.Split('\n').Where(l => l.StartsWith("strata_commit_group_size" + suffix, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        return (Value("_sum"), Value("_count"));
    }

    [Fact]
    public async Task KillingTheServerDuringGroupCommittedSmallPutsLosesNothingAcknowledged()
    {
        await using var node = new StrataNode(null, "group-crash");
        await node.StartAsync();
        var bucket = ServerFixture.NewBucket();
        var acked = new ConcurrentDictionary<string, (string Version, byte[] Sha)>();
        using (var s3 = node.Client(plainBodies: true))
        {
            await s3.PutBucketAsync(bucket);
            using var stop = new CancellationTokenSource();
            var killing = false;
            async Task Writer(int w)
            {
                for (var round = 0; !stop.IsCancellationRequested; round++)
                {
                    var key = $"w{w:D2}/{round:D5}";
                    var body = Body(key, round);
                    try
                    {
                        var r = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(body) });
                        acked[key] = (r.VersionId, SHA256.HashData(body));
                    }
                    // Only the kill may fail a PUT (a request sent while the process is dying is refused before it has exited).
                    catch (Exception) when (Volatile.Read(ref killing)) { return; }
                }
            }
            var writers = Enumerable.Range(0, 16).Select(Writer).ToList();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (acked.Count < 600 && DateTime.UtcNow < deadline) await Task.Delay(50);
            var (sum, count) = await GroupSizesAsync(node);
            Volatile.Write(ref killing, true);
            node.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            output.WriteLine($"{acked.Count} PUTs acknowledged before the kill, in {count} groups ({sum} commits)");
            // The writers were folded into groups (otherwise this tests no group commit).
            Assert.True(sum > count, $"no group held more than one commit: {sum} commits in {count} groups");
        }

        await node.StartAsync();
        using var again = node.Client(plainBodies: true);
        foreach (var (key, (version, sha)) in acked)
        {
            using var r = await again.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, VersionId = version });
            var ms = new MemoryStream();
            await r.ResponseStream.CopyToAsync(ms);
            Assert.Equal(sha, SHA256.HashData(ms.ToArray()));
        }
        // Most of those versions are commits stored as overlays on their chain's base tree (ChainTrees). The
        // snapshot bucket of one lists its writer's keys up to it: each was acknowledged before the next was sent.
        var sampled = 0;
        foreach (var (key, (version, _)) in acked.Where((_, i) => i % 20 == 0))
        {
            var (prefix, round) = (key[..4], int.Parse(key[4..], CultureInfo.InvariantCulture));
            var listed = await again.ListObjectsV2Async(new ListObjectsV2Request { BucketName = $"{version}.{bucket}", Prefix = prefix });
            Assert.Equal(Enumerable.Range(0, round + 1).Select(r => $"{prefix}{r:D5}"), listed.S3Objects.Select(o => o.Key));
            sampled++;
        }
        Assert.True(sampled >= 20, $"{sampled} snapshots listed");
        await GcTarget.AssertFsckCleanAsync(node);
    }
}
