using Amazon.S3.Model;

namespace Strata.Server.Tests;

public class ListTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task PagesWithAndWithoutDelimiter()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var keys = new List<string>();
        for (var d = 0; d < 4; d++)
            for (var f = 0; f < 6; f++) keys.Add($"d{d}/f{f}");
        keys.AddRange(["top1", "top2", "z|pipe|x"]);
        await Task.WhenAll(keys.Select(k => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = k, ContentBody = k })));

        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 5, ContinuationToken = token });
            Assert.True((page.S3Objects?.Count ?? 0) <= 5);
            seen.AddRange(page.S3Objects?.Select(o => o.Key) ?? []);
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (token is not null);
        Assert.Equal(keys.Order(StringComparer.Ordinal), seen);

        var prefixes = new List<string>();
        var contents = new List<string>();
        string? marker = null;
        do
        {
            var page = await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, Delimiter = "/", MaxKeys = 2, Marker = marker });
            prefixes.AddRange(page.CommonPrefixes ?? []);
            contents.AddRange(page.S3Objects?.Select(o => o.Key) ?? []);
            marker = page.IsTruncated == true ? page.NextMarker : null;
        } while (marker is not null);
        Assert.Equal(["d0/", "d1/", "d2/", "d3/"], prefixes);
        Assert.Equal(["top1", "top2", "z|pipe|x"], contents);

        var pipe = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Delimiter = "|" });
        Assert.Equal(["z|"], pipe.CommonPrefixes);
        var sub = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "d2/", StartAfter = "d2/f3" });
        Assert.Equal(["d2/f4", "d2/f5"], sub.S3Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task BucketsAreBranches()
    {
        using var s3 = fx.Client();
        var repo = "r" + Guid.NewGuid().ToString("N")[..12];
        await s3.PutBucketAsync($"master.{repo}");
        await s3.PutBucketAsync($"dev.{repo}");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = $"dev.{repo}", Key = "only-on-dev", ContentBody = "x" });
        var names = (await s3.ListBucketsAsync()).Buckets.Select(b => b.BucketName).ToList();
        Assert.Contains($"master.{repo}", names);
        Assert.Contains($"dev.{repo}", names);
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = repo })).S3Objects ?? []);
        await s3.DeleteBucketAsync($"dev.{repo}");
        names = (await s3.ListBucketsAsync()).Buckets.Select(b => b.BucketName).ToList();
        Assert.DoesNotContain($"dev.{repo}", names);
        var v = await s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = repo });
        Assert.Equal("Enabled", v.VersioningConfig.Status.Value);
    }
}
