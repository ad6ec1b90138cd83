using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

/// <summary>Node A is killed with SIGKILL in the middle of writes; node B keeps serving; nothing acknowledged is lost.</summary>
public sealed class ClusterCrashTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private ClusterFixture _fx = new();
    public Task InitializeAsync() => _fx.InitializeAsync();
    public Task DisposeAsync() => _fx.DisposeAsync();

    // A key's content is a function of its name and round, so any version visible later can be checked whole.
    private static byte[] Body(string key, int round, int size)
    {
        var seed = BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes($"{key}#{round}")));
        var b = new byte[size];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static int PutSize(int round) => (64 << 10) + round % 5 * 300_000;

    private static async Task<byte[]> ReadAsync(IAmazonS3 s3, string bucket, string key, string? version = null)
    {
        using var r = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, VersionId = version });
        var ms = new MemoryStream();
        await r.ResponseStream.CopyToAsync(ms);
        return ms.ToArray();
    }

    [Fact]
    public async Task KillingANodeMidWriteLosesNothingAcknowledged()
    {
        var bucket = ServerFixture.NewBucket();
        using (var setup = _fx.A.Client()) await setup.PutBucketAsync(bucket);
        var acked = new ConcurrentDictionary<string, (string Version, byte[] Sha)>();
        using var stop = new CancellationTokenSource();
        var a = _fx.A.Client();

        async Task PutLoop(int w)
        {
            for (var round = 0; !stop.IsCancellationRequested; round++)
            {
                var key = $"put/{w}/{round}";
                var body = Body(key, 0, PutSize(round));
                try
                {
                    var r = await a.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(body) });
                    acked[key] = (r.VersionId, SHA256.HashData(body));
                }
                catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException or TaskCanceledException) { return; }
            }
        }

        async Task MultipartLoop(int w)
        {
            for (var round = 0; !stop.IsCancellationRequested; round++)
            {
                var key = $"mpu/{w}/{round}";
                var parts = new[] { Body(key, 1, 5 << 20), Body(key, 2, 100_000) };
                try
                {
                    var init = await a.InitiateMultipartUploadAsync(bucket, key);
                    var etags = new List<PartETag>();
                    for (var n = 1; n <= 2; n++)
                    {
                        var p = await a.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = key, UploadId = init.UploadId, PartNumber = n, InputStream = new MemoryStream(parts[n - 1]) });
                        etags.Add(new PartETag(n, p.ETag));
                    }
                    var done = await a.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = init.UploadId, PartETags = etags });
                    acked[key] = (done.VersionId, SHA256.HashData([.. parts[0], .. parts[1]]));
                }
                catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException or TaskCanceledException) { return; }
            }
        }

        var loops = Enumerable.Range(0, 6).Select(PutLoop).Concat(Enumerable.Range(0, 2).Select(MultipartLoop)).ToList();
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.NotEmpty(acked);
        _fx.A.Kill();
        stop.Cancel();
        await Task.WhenAll(loops);
        a.Dispose();
        var ackedAtKill = acked.ToDictionary();
        output.WriteLine($"acknowledged before the kill: {ackedAtKill.Count(k => k.Key.StartsWith('p'))} PUTs, {ackedAtKill.Count(k => k.Key.StartsWith('m'))} multipart uploads");

        // B keeps serving, reads and writes, while A is down.
        using var b = _fx.B.Client();
        await b.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "while-a-is-down", ContentBody = "b works" });
        Assert.Equal("b works", Encoding.UTF8.GetString(await ReadAsync(b, bucket, "while-a-is-down")));
        foreach (var (key, (version, sha)) in ackedAtKill)
            Assert.Equal(sha, SHA256.HashData(await ReadAsync(b, bucket, key, version)));

        await _fx.A.StartAsync();
        using var a2 = _fx.A.Client();
        foreach (var (key, (version, sha)) in ackedAtKill)
        {
            Assert.Equal(sha, SHA256.HashData(await ReadAsync(a2, bucket, key, version)));
            Assert.Equal(sha, SHA256.HashData(await ReadAsync(a2, bucket, key)));
        }
        // Nothing partial is visible: every object listed is one whose write completed, whole.
        var listed = new List<S3Object>();
        string? token = null;
        do
        {
            var page = await a2.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, ContinuationToken = token });
            listed.AddRange(page.S3Objects ?? []);
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (token is not null);
        foreach (var o in listed.Where(o => o.Key != "while-a-is-down"))
        {
            var got = await ReadAsync(a2, bucket, o.Key);
            Assert.Equal(o.Size, got.Length);
            if (ackedAtKill.TryGetValue(o.Key, out var want)) Assert.Equal(want.Sha, SHA256.HashData(got));
            else if (o.Key.StartsWith("mpu/", StringComparison.Ordinal))
            {
                var parts = new[] { Body(o.Key, 1, 5 << 20), Body(o.Key, 2, 100_000) };
                Assert.Equal(SHA256.HashData([.. parts[0], .. parts[1]]), SHA256.HashData(got));
            }
            else
            {
                // A write committed just as A died, its answer lost: still whole.
                var round = int.Parse(o.Key.Split('/')[2]);
                Assert.Equal(SHA256.HashData(Body(o.Key, 0, PutSize(round))), SHA256.HashData(got));
            }
        }
        Assert.True(listed.Count >= ackedAtKill.Count + 1);
        output.WriteLine($"listed after restart: {listed.Count} objects; storage of node A: {_fx.A.Log.Split('\n').FirstOrDefault(l => l.StartsWith("Storage:"))}");
    }
}
