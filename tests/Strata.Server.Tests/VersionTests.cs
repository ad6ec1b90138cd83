using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

public class VersionTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task VersionsAreCommitsNewestFirstWithDeleteMarkers()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var v1 = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "one" })).VersionId;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "other", ContentBody = "x" });
        var v2 = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "two" })).VersionId;
        var del = await s3.DeleteObjectAsync(bucket, "k");
        Assert.Equal("true", del.DeleteMarker);
        var v3 = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "three" })).VersionId;

        var list = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = "k" });
        Assert.Equal([v3, del.VersionId, v2, v1], list.Versions.Select(v => v.VersionId));
        Assert.Equal([true, false, false, false], list.Versions.Select(v => v.IsLatest ?? false));
        Assert.Equal([false, true, false, false], list.Versions.Select(v => v.IsDeleteMarker ?? false));

        foreach (var (id, body) in new[] { (v1, "one"), (v2, "two"), (v3, "three") })
        {
            using var got = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = id });
            Assert.Equal(body, await new StreamReader(got.ResponseStream).ReadToEndAsync());
        }
        var marker = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = del.VersionId }));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, marker.StatusCode);

        // Page one entry at a time: the markers carry on where the last page stopped.
        var seen = new List<string>();
        string? keyMarker = null, versionMarker = null;
        do
        {
            var page = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, MaxKeys = 1, KeyMarker = keyMarker, VersionIdMarker = versionMarker });
            seen.AddRange(page.Versions.Select(v => v.Key + "@" + v.VersionId));
            (keyMarker, versionMarker) = page.IsTruncated == true ? (page.NextKeyMarker, page.NextVersionIdMarker) : (null, null);
        } while (keyMarker is not null);
        Assert.Equal(5, seen.Count);
        Assert.Equal($"k@{v3}", seen[0]);
        Assert.Equal($"k@{v1}", seen[3]);
        Assert.StartsWith("other@", seen[4]);

        // A version delete is permanent (PurgeTests has the rest): v1 leaves the list.
        await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v1 });
        var after = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = "k" });
        Assert.DoesNotContain(after.Versions!, v => v.VersionId == v1);
        Assert.Equal(3, after.Versions!.Count);
    }

    [Fact]
    public async Task PagesSpanIndexBatchesAndSkipOtherBranchesRows()
    {
        // Two branches of one repo write the same keys in turn: half the index rows a page reads
        // belong to the other branch. Pages of several sizes, across the store's read batches,
        // give every version of this branch once, in order.
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        var other = "other" + bucket[bucket.IndexOf('.')..];
        await s3.PutBucketAsync(bucket);
        await s3.PutBucketAsync(other);
        var mine = new List<string>();
        for (var i = 0; i < 130; i++)
        {
            var key = $"k{i % 3}";
            mine.Add(key + "@" + (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = $"{i}" })).VersionId);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = other, Key = key, ContentBody = $"o{i}" });
        }
        var expected = mine.Select((v, i) => (v, i)).OrderBy(x => x.v.Split('@')[0], StringComparer.Ordinal).ThenByDescending(x => x.i).Select(x => x.v).ToList();
        foreach (var size in new[] { 1000, 130, 99, 7 })
        {
            var seen = new List<string>();
            string? keyMarker = null, versionMarker = null;
            do
            {
                var page = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, MaxKeys = size, KeyMarker = keyMarker, VersionIdMarker = versionMarker });
                Assert.True(page.Versions.Count <= size);
                seen.AddRange(page.Versions.Select(v => v.Key + "@" + v.VersionId));
                (keyMarker, versionMarker) = page.IsTruncated == true ? (page.NextKeyMarker, page.NextVersionIdMarker) : (null, null);
                if (keyMarker is not null) Assert.Equal(size, page.Versions.Count);
            } while (keyMarker is not null);
            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public async Task SnapshotBucketsShowTheTreeAtACommitAndRefuseWrites()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var first = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a", ContentBody = "1" })).VersionId;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "b", ContentBody = "2" });
        var snapshot = $"{first}.{bucket}";
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = snapshot });
        Assert.Equal(["a"], listed.S3Objects.Select(o => o.Key));
        var write = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = snapshot, Key = "c", ContentBody = "3" }));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, write.StatusCode);
        Assert.DoesNotContain((await s3.ListBucketsAsync()).Buckets, b => b.BucketName == snapshot);
    }

    [Fact]
    public async Task CommitDotRepoBucketsAreReadOnlySnapshotsAsInPachyderm()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket("dev");
        var repo = bucket["dev.".Length..];
        await s3.PutBucketAsync(bucket);
        var first = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a", ContentBody = "1" })).VersionId;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a", ContentBody = "2" });
        var snapshot = $"{first}.{repo}"; // no branch named: the commit's own history holds it (branch dev)
        using (var old = await s3.GetObjectAsync(snapshot, "a"))
            Assert.Equal("1", await new StreamReader(old.ResponseStream).ReadToEndAsync());
        Assert.Equal(["a"], (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = snapshot })).S3Objects!.Select(o => o.Key));
        var write = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = snapshot, Key = "c", ContentBody = "3" }));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, write.StatusCode);
        var unknown = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = $"{new string('0', 32)}.{repo}" }));
        Assert.Equal("NoSuchBucket", unknown.ErrorCode);
    }
}
