using System.Diagnostics;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Xunit.Abstractions;

namespace Strata.Server.Tests;

/// <summary>
/// Re-uploading the same bytes as a multipart upload stores almost nothing new: Complete re-chunks
/// the seams between parts so the object's chunks are those of the whole stream. The size is
/// STRATA_DEDUPE_MIB (default 64; the figures in docs/performance.md come from 1024).
/// </summary>
public sealed class MultipartDedupeTests(ServerFixture fx, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    private const int MiB = 1 << 20;

    private static int SizeMiB => int.TryParse(Environment.GetEnvironmentVariable("STRATA_DEDUPE_MIB"), out var m) && m > 0 ? m : 64;

    private long ChunkBytes() =>
        new DirectoryInfo(Path.Combine(fx.DataDir, "chunks")).EnumerateFiles("*", SearchOption.AllDirectories)
            .Where(f => f.Directory?.Name != "tmp").Sum(f => f.Length);

    /// <summary>Collects garbage with no grace period (nothing else runs in this fixture) and returns the chunk bytes left.</summary>
    private async Task<long> LiveChunkBytesAsync()
    {
        using var admin = fx.Admin();
        admin.Timeout = TimeSpan.FromMinutes(10);
        using var resp = await admin.PostAsync("api/gc?graceSeconds=0", null);
        resp.EnsureSuccessStatusCode();
        return ChunkBytes();
    }

    private static async Task<byte[]> Sha256Async(IAmazonS3 s3, string bucket, string key)
    {
        using var r = await s3.GetObjectAsync(bucket, key);
        return await SHA256.HashDataAsync(r.ResponseStream);
    }

    /// <summary>Uploads data in parts of partSize; returns the time Complete took.</summary>
    private static async Task<TimeSpan> MultipartAsync(IAmazonS3 s3, string bucket, string key, byte[] data, int partSize)
    {
        var id = (await s3.InitiateMultipartUploadAsync(bucket, key)).UploadId;
        var etags = new List<PartETag>();
        for (int off = 0, n = 1; off < data.Length; off += partSize, n++)
        {
            var len = Math.Min(partSize, data.Length - off);
            var p = await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket, Key = key, UploadId = id, PartNumber = n, InputStream = new MemoryStream(data, off, len, false),
            });
            etags.Add(new PartETag(n, p.ETag));
        }
        var sw = Stopwatch.StartNew();
        var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = id, PartETags = etags });
        sw.Stop();
        Assert.EndsWith($"-{etags.Count}\"", done.ETag);
        return sw.Elapsed;
    }

    [Fact]
    public async Task ReuploadInPartsAfterSinglePutAddsAlmostNoChunkBytes()
    {
        // For measurements: STRATA_DEDUPE_PARALLEL sets how many seams are cut at once (the server runs in this process).
        if (int.TryParse(Environment.GetEnvironmentVariable("STRATA_DEDUPE_PARALLEL"), out var parallel) && parallel > 0)
            Strata.Core.Chunking.PartSeams.MaxParallelSeams = parallel;
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var data = new byte[(long)SizeMiB * MiB + 12345];
        new Random(42).NextBytes(data);
        var want = SHA256.HashData(data);

        var before = await LiveChunkBytesAsync();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "whole", InputStream = new MemoryStream(data, false) });
        var afterPut = await LiveChunkBytesAsync();
        Assert.InRange(afterPut - before, data.Length, data.Length + data.Length / 100);

        // rclone's default part size. The parts' own edge chunks are stored at upload time (raw); once
        // Complete re-chunked the seams they are garbage, which gc frees (live).
        var t5 = await MultipartAsync(s3, bucket, "parts5", data, 5 * MiB);
        var raw5 = ChunkBytes();
        var after5 = await LiveChunkBytesAsync();
        // The AWS CLI's.
        var t8 = await MultipartAsync(s3, bucket, "parts8", data, 8 * MiB);
        var raw8 = ChunkBytes();
        var after8 = await LiveChunkBytesAsync();
        output.WriteLine($"size {data.Length} B; PUT added {afterPut - before} B");
        output.WriteLine($"5 MiB parts: added {after5 - afterPut} B live ({100.0 * (after5 - afterPut) / data.Length:0.00}%), {raw5 - afterPut} B before gc; complete {t5.TotalSeconds:0.000} s");
        output.WriteLine($"8 MiB parts: added {after8 - after5} B live ({100.0 * (after8 - after5) / data.Length:0.00}%), {raw8 - after5} B before gc; complete {t8.TotalSeconds:0.000} s");

        // What gc freed was only garbage: every live chunk is there and hashes to its id.
        using (var admin = fx.Admin())
        {
            admin.Timeout = TimeSpan.FromMinutes(10);
            using var resp = await admin.PostAsync("api/fsck", null);
            var fsck = System.Text.Json.JsonDocument.Parse(await resp.Content.ReadAsStringAsync()).RootElement;
            Assert.True(fsck.GetProperty("problemCount").GetInt64() == 0, "fsck: " + fsck);
        }
        Assert.Equal(want, await Sha256Async(s3, bucket, "whole"));
        Assert.Equal(want, await Sha256Async(s3, bucket, "parts5"));
        Assert.Equal(want, await Sha256Async(s3, bucket, "parts8"));
        Assert.True(after5 - afterPut < data.Length / 20, $"5 MiB parts added {after5 - afterPut} bytes");
        Assert.True(after8 - after5 < data.Length / 20, $"8 MiB parts added {after8 - after5} bytes");
    }
}
