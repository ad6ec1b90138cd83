using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

namespace Strata.Server.Tests;

public class MultipartTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private const int MiB = 1 << 20;

    private static byte[] Bytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static async Task<byte[]> GetAsync(IAmazonS3 s3, string bucket, string key)
    {
        using var r = await s3.GetObjectAsync(bucket, key);
        using var ms = new MemoryStream();
        await r.ResponseStream.CopyToAsync(ms);
        return ms.ToArray();
    }

    [Fact]
    public async Task TransferUtilityRoundTripsWithFullObjectCrc()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var data = Bytes(37 * MiB + 123, 1);
        var tu = new TransferUtility(s3, new TransferUtilityConfig { MinSizeBeforePartUpload = 16 * MiB });
        await tu.UploadAsync(new TransferUtilityUploadRequest { BucketName = bucket, Key = "big.bin", InputStream = new MemoryStream(data), PartSize = 8 * MiB });
        Assert.Equal(data, await GetAsync(s3, bucket, "big.bin"));
        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "big.bin", ChecksumMode = ChecksumMode.ENABLED });
        Assert.EndsWith("-5\"", head.ETag);
        Assert.Equal(Convert.ToBase64String(BitConverter.GetBytes(System.IO.Hashing.Crc32.HashToUInt32(data)).Reverse().ToArray()), head.ChecksumCRC32);
        // The uploads are gone once completed.
        var uploads = await s3.ListMultipartUploadsAsync(bucket);
        Assert.Empty(uploads.MultipartUploads ?? []);
    }

    [Fact]
    public async Task MultipartRulesAndErrors()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "k", ContentType = "text/x-parts", Metadata = { ["m"] = "v" } });
        var id = init.UploadId;
        var p1a = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "k", UploadId = id, PartNumber = 1, InputStream = new MemoryStream(Bytes(5 * MiB, 2)) });
        var p1Data = Bytes(5 * MiB, 3);
        var p1 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "k", UploadId = id, PartNumber = 1, InputStream = new MemoryStream(p1Data) });
        Assert.NotEqual(p1a.ETag, p1.ETag);
        var p2 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "k", UploadId = id, PartNumber = 2, InputStream = new MemoryStream(Bytes(100, 4)) });
        var p3 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "k", UploadId = id, PartNumber = 3, InputStream = new MemoryStream(Bytes(100, 5)) });

        var parts = await s3.ListPartsAsync(new ListPartsRequest { BucketName = bucket, Key = "k", UploadId = id });
        Assert.Equal([1, 2, 3], parts.Parts.Select(p => p.PartNumber ?? 0));
        Assert.Equal(5 * MiB, parts.Parts[0].Size);

        async Task<string> Fails(params PartETag[] list)
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            { BucketName = bucket, Key = "k", UploadId = id, PartETags = [.. list] }));
            return e.ErrorCode;
        }
        Assert.Equal("InvalidPart", await Fails(new PartETag(1, p1a.ETag), new PartETag(2, p2.ETag)));
        // The SDK sorts the list by number, so a repeated number is the way to send one out of order.
        Assert.Equal("InvalidPartOrder", await Fails(new PartETag(1, p1.ETag), new PartETag(1, p1.ETag), new PartETag(3, p3.ETag)));
        Assert.Equal("EntityTooSmall", await Fails(new PartETag(1, p1.ETag), new PartETag(2, p2.ETag), new PartETag(3, p3.ETag)));
        Assert.Equal("InvalidPart", await Fails(new PartETag(1, p1.ETag), new PartETag(4, p2.ETag)));

        var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        { BucketName = bucket, Key = "k", UploadId = id, PartETags = [new PartETag(1, p1.ETag), new PartETag(3, p3.ETag)] });
        var expectedEtag = "\"" + Convert.ToHexStringLower(MD5.HashData(
            Convert.FromHexString(p1.ETag.Trim('"')).Concat(Convert.FromHexString(p3.ETag.Trim('"'))).ToArray())) + "-2\"";
        Assert.Equal(expectedEtag, done.ETag);
        Assert.Equal(p1Data.Concat(Bytes(100, 5)), await GetAsync(s3, bucket, "k"));
        var head = await s3.GetObjectMetadataAsync(bucket, "k");
        Assert.Equal("text/x-parts", head.Headers.ContentType);
        Assert.Equal("v", head.Metadata["m"]);
        using var part2 = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", PartNumber = 2 });
        Assert.Equal(100, part2.ContentLength);
        Assert.Equal(2, part2.PartsCount);
        var attributes = await s3.GetObjectAttributesAsync(new GetObjectAttributesRequest
        { BucketName = bucket, Key = "k", ObjectAttributes = [ObjectAttributes.ObjectParts], MaxParts = 1 });
        Assert.Equal(2, attributes.ObjectParts.TotalPartsCount);
        Assert.Equal(1, Assert.Single(attributes.ObjectParts.Parts).PartNumber);
        Assert.True(attributes.ObjectParts.IsTruncated);

        var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.UploadPartAsync(new UploadPartRequest
        { BucketName = bucket, Key = "k", UploadId = id, PartNumber = 4, InputStream = new MemoryStream(Bytes(10, 6)) }));
        Assert.Equal("NoSuchUpload", gone.ErrorCode);
        var abort = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.AbortMultipartUploadAsync(bucket, "k", "nosuchupload"));
        Assert.Equal("NoSuchUpload", abort.ErrorCode);
    }

    [Fact]
    public async Task UploadsAreInvisibleUntilCompleteAndAbortForgetsThem()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var a = await s3.InitiateMultipartUploadAsync(bucket, "dir/a");
        var b = await s3.InitiateMultipartUploadAsync(bucket, "dir/b");
        await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "dir/a", UploadId = a.UploadId, PartNumber = 1, InputStream = new MemoryStream(Bytes(10, 1)) });
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects ?? []);
        var listed = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket, Prefix = "dir/" });
        Assert.Equal(["dir/a", "dir/b"], listed.MultipartUploads.Select(u => u.Key));
        var grouped = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket, Delimiter = "/" });
        Assert.Equal(["dir/"], grouped.CommonPrefixes);
        await s3.AbortMultipartUploadAsync(bucket, "dir/a", a.UploadId);
        listed = await s3.ListMultipartUploadsAsync(bucket);
        Assert.Equal([b.UploadId], listed.MultipartUploads.Select(u => u.UploadId));
    }

    [Fact]
    public async Task CopiesAcrossReposAndVersionsShareChunks()
    {
        using var s3 = fx.Client();
        var src = ServerFixture.NewBucket();
        var dst = ServerFixture.NewBucket("dev");
        await s3.PutBucketAsync(src);
        await s3.PutBucketAsync(dst);
        var v1 = Bytes(3 * MiB, 7);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = src, Key = "a", InputStream = new MemoryStream(v1), ContentType = "text/one" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = src, Key = "a", ContentBody = "second" });

        var chunkBytes = DirSize(Path.Combine(fx.DataDir, "chunks"));
        var copy = await s3.CopyObjectAsync(new CopyObjectRequest
        { SourceBucket = src, SourceKey = "a", SourceVersionId = "master^", DestinationBucket = dst, DestinationKey = "b" });
        Assert.Equal(DirSize(Path.Combine(fx.DataDir, "chunks")), chunkBytes);
        Assert.Equal(v1, await GetAsync(s3, dst, "b"));
        Assert.Equal("text/one", (await s3.GetObjectMetadataAsync(dst, "b")).Headers.ContentType);
        Assert.Matches("^[0-9a-f]{32}$", copy.VersionId);

        await s3.CopyObjectAsync(new CopyObjectRequest
        { SourceBucket = dst, SourceKey = "b", DestinationBucket = dst, DestinationKey = "b", MetadataDirective = S3MetadataDirective.REPLACE, ContentType = "text/two" });
        Assert.Equal("text/two", (await s3.GetObjectMetadataAsync(dst, "b")).Headers.ContentType);
        var self = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(src, "a", src, "a"));
        Assert.Equal("InvalidRequest", self.ErrorCode);
        var pre = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(new CopyObjectRequest
        { SourceBucket = src, SourceKey = "a", DestinationBucket = dst, DestinationKey = "c", ETagToMatch = "\"nope\"" }));
        Assert.Equal("PreconditionFailed", pre.ErrorCode);
    }

    [Fact]
    public async Task UploadPartCopyReusesInteriorChunks()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var data = Bytes(12 * MiB, 8);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "src", InputStream = new MemoryStream(data) });
        var id = (await s3.InitiateMultipartUploadAsync(bucket, "dst")).UploadId;
        var c1 = await s3.CopyPartAsync(new CopyPartRequest
        { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "dst", UploadId = id, PartNumber = 1, FirstByte = 0, LastByte = 6 * MiB - 1 });
        var c2 = await s3.CopyPartAsync(new CopyPartRequest
        { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "dst", UploadId = id, PartNumber = 2, FirstByte = 6 * MiB, LastByte = 12 * MiB - 1 });
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        { BucketName = bucket, Key = "dst", UploadId = id, PartETags = [new PartETag(1, c1.ETag), new PartETag(2, c2.ETag)] });
        Assert.Equal(data, await GetAsync(s3, bucket, "dst"));
        var other = (await s3.InitiateMultipartUploadAsync(bucket, "dst2")).UploadId;
        var bad = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyPartAsync(new CopyPartRequest
        { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "dst2", UploadId = other, PartNumber = 1, FirstByte = 0, LastByte = 12 * MiB }));
        Assert.Equal("InvalidRange", bad.ErrorCode);
    }

    internal static long DirSize(string dir) =>
        Directory.Exists(dir) ? Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/tmp/")).Sum(f => new FileInfo(f).Length) : 0;
}
