using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

/// <summary>Two Strata processes on one PostgreSQL and one radosgw bucket, driven with AWSSDK.S3.</summary>
public sealed class ClusterTests(ClusterFixture fx) : IClassFixture<ClusterFixture>
{
    private static string NewBucket() => ServerFixture.NewBucket();

    private static async Task<string> ReadAsync(IAmazonS3 s3, string bucket, string key, string? version = null)
    {
        using var r = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, VersionId = version });
        using var sr = new StreamReader(r.ResponseStream);
        return await sr.ReadToEndAsync();
    }

    [Fact]
    public void BothNodesShareTheRootToken()
    {
        Assert.Equal(40, fx.A.Token.Length);
        Assert.Equal(fx.A.Token, fx.B.Token);
    }

    [Fact]
    public async Task SixteenWritersOnEachNodeToOneBranchAllLand()
    {
        using var a = fx.A.Client();
        using var b = fx.B.Client();
        var bucket = NewBucket();
        await a.PutBucketAsync(bucket);
        const int writers = 16, each = 8;
        var acked = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        async Task Writer(IAmazonS3 s3, string node, int w)
        {
            for (var i = 0; i < each; i++)
            {
                var key = $"{node}/{w:D2}/{i:D2}";
                var r = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = $"{key} body" });
                Assert.Equal(System.Net.HttpStatusCode.OK, r.HttpStatusCode);
                Assert.False(string.IsNullOrEmpty(r.VersionId));
                Assert.True(acked.TryAdd(key, r.VersionId));
            }
        }
        await Task.WhenAll(Enumerable.Range(0, writers).SelectMany(w => new[] { Writer(a, "a", w), Writer(b, "b", w) }));
        Assert.Equal(2 * writers * each, acked.Count);
        // Every write is its own commit: distinct version ids, all listed, all readable from the other node.
        Assert.Equal(acked.Count, acked.Values.Distinct().Count());
        var listed = new Dictionary<string, string>();
        string? km = null, vm = null;
        do
        {
            var page = await b.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, KeyMarker = km, VersionIdMarker = vm, MaxKeys = 100 });
            foreach (var v in page.Versions) listed.Add(v.Key, v.VersionId);
            (km, vm) = page.IsTruncated == true ? (page.NextKeyMarker, page.NextVersionIdMarker) : (null, null);
        } while (km is not null);
        Assert.Equal(acked.OrderBy(p => p.Key), listed.OrderBy(p => p.Key));
        using var admin = fx.A.Admin();
        var commits = await admin.GetFromJsonAsync<JsonElement>($"/api/repos/{bucket.Split('.')[1]}/branches/master/commits?limit=1000");
        Assert.Equal(acked.Count, commits.GetProperty("commits").GetArrayLength());
        foreach (var (key, version) in acked.Where((_, i) => i % 16 == 0))
            Assert.Equal($"{key} body", await ReadAsync(key.StartsWith('a') ? b : a, bucket, key, version));
    }

    [Fact]
    public async Task TagsSetOnOneNodeCountOnTheOtherNodesNextRead()
    {
        using var a = fx.A.Client();
        using var b = fx.B.Client();
        var bucket = NewBucket();
        await a.PutBucketAsync(bucket);
        await a.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" });
        // B reads the untagged repo first (what a node might keep), then A tags the object.
        using (var got = await b.GetObjectAsync(bucket, "k")) Assert.Equal(0, got.TagCount);
        await a.PutObjectTaggingAsync(new PutObjectTaggingRequest
        {
            BucketName = bucket, Key = "k", Tagging = new Tagging { TagSet = [new Tag { Key = "t", Value = "1" }, new Tag { Key = "u", Value = "2" }] },
        });
        using (var got = await b.GetObjectAsync(bucket, "k")) Assert.Equal(2, got.TagCount);
        // A tag set with the object, on B, counts on A.
        await b.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "j", ContentBody = "y", TagSet = [new Tag { Key = "v", Value = "3" }] });
        using (var got = await a.GetObjectAsync(bucket, "j")) Assert.Equal(1, got.TagCount);
    }

    [Fact]
    public async Task ReadAfterWriteAcrossNodes()
    {
        using var a = fx.A.Client();
        using var b = fx.B.Client();
        var bucket = NewBucket();
        await a.PutBucketAsync(bucket);
        await b.GetBucketLocationAsync(bucket); // the bucket made on A exists on B at once
        for (var i = 0; i < 10; i++)
        {
            var key = $"k{i}";
            await a.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = $"one {i}" });
            Assert.Equal($"one {i}", await ReadAsync(b, bucket, key));
            await b.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = $"two {i}" });
            Assert.Equal($"two {i}", await ReadAsync(a, bucket, key));
            await a.DeleteObjectAsync(bucket, key);
            var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => b.GetObjectMetadataAsync(bucket, key));
            Assert.Equal(System.Net.HttpStatusCode.NotFound, e.StatusCode);
        }
        var listing = await b.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Empty(listing.S3Objects ?? []);
    }

    [Fact]
    public async Task MultipartUploadSpreadOverBothNodes()
    {
        using var a = fx.A.Client();
        using var b = fx.B.Client();
        var bucket = NewBucket();
        await a.PutBucketAsync(bucket);
        var parts = Enumerable.Range(1, 3).Select(n => RandomNumberGenerator.GetBytes(n < 3 ? 5 << 20 : 1234)).ToArray();
        var init = await a.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "big.bin" });
        var etags = new List<PartETag>();
        for (var n = 1; n <= 3; n++)
        {
            var s3 = n == 2 ? b : a;
            var r = await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket, Key = "big.bin", UploadId = init.UploadId, PartNumber = n, InputStream = new MemoryStream(parts[n - 1]),
            });
            etags.Add(new PartETag(n, r.ETag));
        }
        var listedParts = await b.ListPartsAsync(new ListPartsRequest { BucketName = bucket, Key = "big.bin", UploadId = init.UploadId });
        Assert.Equal([1, 2, 3], listedParts.Parts.Select(p => p.PartNumber ?? 0));
        var done = await b.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "big.bin", UploadId = init.UploadId, PartETags = etags,
        });
        var md5s = parts.SelectMany(MD5.HashData).ToArray();
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(md5s))}-3\"", done.ETag);
        using var got = await a.GetObjectAsync(bucket, "big.bin");
        var ms = new MemoryStream();
        await got.ResponseStream.CopyToAsync(ms);
        Assert.Equal(parts.SelectMany(p => p).ToArray(), ms.ToArray());
        var uploads = await a.ListMultipartUploadsAsync(bucket);
        Assert.Empty(uploads.MultipartUploads ?? []);
    }

    [Fact]
    public async Task ExplicitCommitStartedOnAFinishedOnB()
    {
        using var a = fx.A.Client();
        using var b = fx.B.Client();
        var bucket = NewBucket();
        var repo = bucket.Split('.')[1];
        await a.PutBucketAsync(bucket);
        await a.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "before", ContentBody = "x" });
        using var adminA = fx.A.Admin();
        using var adminB = fx.B.Admin();
        (await adminA.PostAsync($"/api/repos/{repo}/branches/master/commit", null)).EnsureSuccessStatusCode();
        for (var i = 0; i < 6; i++)
            await (i % 2 == 0 ? a : b).PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"batch/{i}", ContentBody = $"{i}" });
        // Staged writes are invisible on both nodes until the commit is finished.
        foreach (var s3 in new[] { a, b })
            Assert.Single((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects);
        var open = await adminB.GetFromJsonAsync<JsonElement>($"/api/repos/{repo}/branches/master/commit");
        Assert.Equal(6, open.GetProperty("changedFiles").GetInt32());
        var finish = await adminB.PostAsJsonAsync($"/api/repos/{repo}/branches/master/commit/finish", new { message = "batch" });
        Assert.True(finish.IsSuccessStatusCode, await finish.Content.ReadAsStringAsync());
        foreach (var s3 in new[] { a, b })
        {
            var keys = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.Select(o => o.Key);
            Assert.Equal(["batch/0", "batch/1", "batch/2", "batch/3", "batch/4", "batch/5", "before"], keys);
        }
        var versions = await a.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = "batch/" });
        Assert.Single(versions.Versions.Select(v => v.VersionId).Distinct());
        Assert.Equal("3", await ReadAsync(a, bucket, "batch/3"));
    }

    [Fact]
    public async Task APurgeOnOneNodeIsSeenByTheOtherAndItsWritersAreNotLost()
    {
        using var a = fx.A.Client();
        using var b = fx.B.Client();
        var bucket = NewBucket();
        await a.PutBucketAsync(bucket);
        var v1 = (await a.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "one" })).VersionId;
        var v2 = (await a.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "two" })).VersionId;
        Assert.Equal("two", await ReadAsync(b, bucket, "k")); // B has the commits cached now

        var acked = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested && i < 30; i++)
            {
                await b.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"w{w}/{i}", ContentBody = "x" });
                acked.Add($"w{w}/{i}");
            }
        })).ToList();
        await Task.Delay(100);
        await a.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v2 });
        stop.Cancel();
        await Task.WhenAll(writers);

        Assert.Equal("one", await ReadAsync(b, bucket, "k"));
        Assert.Equal("NoSuchVersion", (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => ReadAsync(b, bucket, "k", v2))).ErrorCode);
        var versions = (await b.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = "k" })).Versions!;
        Assert.Equal([v1], versions.Where(v => v.Key == "k").Select(v => v.VersionId));
        var keys = new HashSet<string>();
        string? token = null;
        do
        {
            var page = await b.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, ContinuationToken = token });
            foreach (var o in page.S3Objects ?? []) keys.Add(o.Key);
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (token is not null);
        foreach (var k in acked) Assert.Contains(k, keys);
    }
}
