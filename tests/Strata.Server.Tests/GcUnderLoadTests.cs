using System.Collections.Concurrent;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

/// <summary>
/// Collections run back to back for a minute while 16 writers PUT, overwrite, copy, upload in parts
/// and throw away branches, all drawing their bodies from one small pool so that writes keep reusing
/// chunks that garbage collection may just have found unreachable (the classic race). Afterwards
/// every acknowledged version reads back whole and fsck is clean.
/// </summary>
public sealed class GcUnderLoadTests
{
    private static readonly byte[][] Pool = Enumerable.Range(0, 6).Select(i =>
    {
        var b = new byte[(300 << 10) + i * 150_000];
        new Random(1000 + i).NextBytes(b);
        return b;
    }).ToArray();

    private static readonly byte[] PartBody = MakePart();

    private static byte[] MakePart()
    {
        var b = new byte[5 << 20];
        new Random(77).NextBytes(b);
        return b;
    }

    // Refusals a writer retries: a write that overlapped a collection start (503) or lost a race.
    private static bool Retryable(Exception e) => e is AmazonS3Exception { StatusCode: System.Net.HttpStatusCode.ServiceUnavailable };

    [Theory]
    [InlineData("embedded")]
    [InlineData("cluster")]
    public async Task EveryAcknowledgedVersionSurvivesCollectionsRunningMeanwhile(string kind)
    {
        // A short grace so that collections really sweep what the writers just made garbage.
        await using var t = await GcTarget.StartAsync(kind, twoNodes: kind == "cluster", args: ["--gc-grace", "2s"]);
        var writersNode = t.B ?? t.A;
        var repo = "load" + Guid.NewGuid().ToString("N")[..12];
        var bucket = $"master.{repo}";
        using (var setup = writersNode.Client()) await setup.PutBucketAsync(bucket);
        var acked = new ConcurrentBag<(string Bucket, string Key, string Version, byte[] Sha)>();
        var refused = 0;
        var runs = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        async Task GcLoop()
        {
            while (!stop.IsCancellationRequested)
            {
                await GcTarget.PostAsync(t.A, "gc");
                Interlocked.Increment(ref runs);
            }
        }

        async Task Writer(int w)
        {
            using var s3 = writersNode.Client();
            var rng = new Random(w);
            for (var round = 0; !stop.IsCancellationRequested; round++)
            {
                var body = Pool[rng.Next(Pool.Length)];
                try
                {
                    switch (round % 5)
                    {
                        case 0 or 1: // put a new key, or overwrite a key other writers also write
                            var key = round % 5 == 0 ? $"w{w}/{round}" : $"shared/{rng.Next(4)}";
                            var r = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(body) });
                            acked.Add((bucket, key, r.VersionId, SHA256.HashData(body)));
                            break;
                        case 2: // copy: the new entry points at chunks the copy did not write
                            var src = acked.FirstOrDefault(a => a.Bucket == bucket);
                            if (src.Key is null) break;
                            var c = await s3.CopyObjectAsync(new CopyObjectRequest
                            {
                                SourceBucket = bucket, SourceKey = src.Key, SourceVersionId = src.Version, DestinationBucket = bucket, DestinationKey = $"copy/{w}/{round}",
                            });
                            acked.Add((bucket, $"copy/{w}/{round}", c.VersionId, src.Sha));
                            break;
                        case 3: // a branch made and thrown away: its chunks become garbage others will reuse
                            var tmp = $"t{w}x{round}.{repo}";
                            await s3.PutBucketAsync(tmp);
                            await s3.PutObjectAsync(new PutObjectRequest { BucketName = tmp, Key = "k", InputStream = new MemoryStream(Pool[rng.Next(Pool.Length)]) });
                            using (var admin = writersNode.Admin()) await admin.DeleteAsync($"api/repos/{repo}/branches/t{w}x{round}");
                            break;
                        case 4 when w % 4 == 0: // multipart: one reused 5 MiB part and a small last part
                            var mp = $"mp/{w}/{round}";
                            var up = await s3.InitiateMultipartUploadAsync(bucket, mp);
                            var p1 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = mp, UploadId = up.UploadId, PartNumber = 1, InputStream = new MemoryStream(PartBody) });
                            var p2 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = mp, UploadId = up.UploadId, PartNumber = 2, InputStream = new MemoryStream(body) });
                            var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
                            {
                                BucketName = bucket, Key = mp, UploadId = up.UploadId,
                                PartETags = [new PartETag(1, p1.ETag), new PartETag(2, p2.ETag)],
                            });
                            acked.Add((bucket, mp, done.VersionId, SHA256.HashData([.. PartBody, .. body])));
                            break;
                    }
                }
                catch (Exception e) when (Retryable(e))
                {
                    Interlocked.Increment(ref refused);
                }
            }
        }

        await Task.WhenAll([GcLoop(), .. Enumerable.Range(0, 16).Select(Writer)]);
        Assert.True(runs >= 3, $"only {runs} collections ran");
        Assert.True(acked.Count > 100, $"only {acked.Count} writes were acknowledged");
        using var check = t.A.Client();
        foreach (var (b, key, version, sha) in acked)
        {
            using var r = await check.GetObjectAsync(new GetObjectRequest { BucketName = b, Key = key, VersionId = version });
            var ms = new MemoryStream();
            await r.ResponseStream.CopyToAsync(ms);
            Assert.True(sha.AsSpan().SequenceEqual(SHA256.HashData(ms.ToArray())), $"{key} version {version} changed");
        }
        await GcTarget.AssertFsckCleanAsync(t.A);
        var last = await GcTarget.PostAsync(t.A, "gc");
        Console.WriteLine($"gc under load [{kind}]: {runs} collections, {acked.Count} writes acknowledged and read back, {refused} refused (503) and not acknowledged; a last run freed {last.GetProperty("chunksDeleted")} chunks");
    }
}
