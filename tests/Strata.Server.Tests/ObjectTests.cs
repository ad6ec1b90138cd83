using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

public class ObjectTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static byte[] Bytes(int n, int seed = 1)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static async Task<byte[]> ReadAllAsync(GetObjectResponse r)
    {
        using var ms = new MemoryStream();
        await r.ResponseStream.CopyToAsync(ms);
        return ms.ToArray();
    }

    [Fact]
    public async Task PutGetHeadWithMetadataAndVersions()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var data = Bytes(3_000_000);
        var put = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "dir/file one+&=é.bin", InputStream = new MemoryStream(data),
            ContentType = "application/x-test",
            Metadata = { ["color"] = "blue" },
            Headers = { CacheControl = "max-age=60", ContentDisposition = "attachment" },
        });
        Assert.Matches("^[0-9a-f]{32}$", put.VersionId);
        Assert.Equal("\"" + Convert.ToHexStringLower(MD5.HashData(data)) + "\"", put.ETag);

        using var got = await s3.GetObjectAsync(bucket, "dir/file one+&=é.bin");
        Assert.Equal(data, await ReadAllAsync(got));
        Assert.Equal("application/x-test", got.Headers.ContentType);
        Assert.Equal("blue", got.Metadata["color"]);
        Assert.Equal("max-age=60", got.Headers.CacheControl);
        Assert.Equal(put.VersionId, got.VersionId);

        var second = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "dir/file one+&=é.bin", ContentBody = "v2" });
        Assert.NotEqual(put.VersionId, second.VersionId);
        using var old = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "dir/file one+&=é.bin", VersionId = "master^" });
        Assert.Equal(data, await ReadAllAsync(old));
        using var byId = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "dir/file one+&=é.bin", VersionId = put.VersionId });
        Assert.Equal(data.Length, byId.ContentLength);
        var head = await s3.GetObjectMetadataAsync(bucket, "dir/file one+&=é.bin");
        Assert.Equal(2, head.ContentLength);

        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "dir/file one+&=é.bin", VersionId = new string('a', 32) }));
        Assert.Equal("NoSuchVersion", e.ErrorCode);
    }

    [Fact]
    public async Task RangesAndConditionals()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var data = Bytes(5_000_000, 2);
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", InputStream = new MemoryStream(data) });

        using var part = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", ByteRange = new ByteRange(1_999_990, 3_000_009) });
        Assert.Equal(HttpStatusCode.PartialContent, part.HttpStatusCode);
        Assert.Equal(data.AsSpan(1_999_990, 1_000_020).ToArray(), await ReadAllAsync(part));
        using var tail = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", ByteRange = new ByteRange("bytes=-10") });
        Assert.Equal(data[^10..], await ReadAllAsync(tail));
        var bad = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", ByteRange = new ByteRange(5_000_000, 5_000_010) }));
        Assert.Equal("InvalidRange", bad.ErrorCode);

        var pre = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", EtagToMatch = "\"nope\"" }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, pre.StatusCode);
        var nm = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", EtagToNotMatch = put.ETag }));
        Assert.Equal(HttpStatusCode.NotModified, nm.StatusCode);
        using var ok = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", EtagToMatch = put.ETag });
        Assert.Equal(HttpStatusCode.OK, ok.HttpStatusCode);
    }

    [Fact]
    public async Task WrongContentMd5WritesNothing()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "x", ContentBody = "hello", MD5Digest = Convert.ToBase64String(MD5.HashData("other"u8.ToArray())),
        }));
        Assert.Equal("BadDigest", e.ErrorCode);
        var list = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Empty(list.S3Objects ?? []);
    }

    [Fact]
    public async Task DeleteObjectsIsOneCommit()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        for (var i = 0; i < 5; i++) await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"k{i}", ContentBody = $"{i}" });
        var del = await s3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = bucket, Objects = [new() { Key = "k0" }, new() { Key = "k1" }, new() { Key = "k2" }, new() { Key = "missing" }],
        });
        Assert.Equal(4, del.DeletedObjects.Count);
        var left = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["k3", "k4"], left.S3Objects.Select(o => o.Key));
        // One commit back, all three deleted keys are there again.
        using var k0 = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k0", VersionId = "HEAD^" });
        using var k2 = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k2", VersionId = "HEAD^" });
        Assert.Equal("2", new StreamReader(k2.ResponseStream).ReadToEnd());
    }

    [Fact]
    public async Task MissingThingsAreS3Errors()
    {
        using var s3 = fx.Client();
        var e1 = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync("master.nosuchrepo", "k"));
        Assert.Equal("NoSuchBucket", e1.ErrorCode);
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var e2 = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "nokey"));
        Assert.Equal("NoSuchKey", e2.ErrorCode);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "kept", ContentBody = "x" });
        // Creating it again is 200, as S3 answers in us-east-1, and changes nothing.
        Assert.Equal(HttpStatusCode.OK, (await s3.PutBucketAsync(bucket)).HttpStatusCode);
        Assert.Equal("kept", Assert.Single((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects!).Key);
        Assert.Equal("The specified bucket does not exist.", e1.Message);
        var e4 = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketAsync("bad!name.repo"));
        Assert.Equal("InvalidBucketName", e4.ErrorCode);
    }
}
