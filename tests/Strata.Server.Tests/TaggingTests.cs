using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

/// <summary>Object and bucket tagging end to end: tags belong to a version, change without making one, and bad input changes nothing.</summary>
public sealed class TaggingTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static List<Tag> T(params string[] kv) => [.. Enumerable.Range(0, kv.Length / 2).Select(i => new Tag { Key = kv[2 * i], Value = kv[2 * i + 1] })];

    private static List<string> Pairs(IEnumerable<Tag>? tags) => [.. (tags ?? []).Select(t => $"{t.Key}={t.Value}")];

    private async Task<List<string>> TagsAsync(AmazonS3Client s3, string bucket, string key, string? version = null) =>
        Pairs((await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = key, VersionId = version })).Tagging);

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, string query = "",
        IEnumerable<KeyValuePair<string, string>>? headers = null, string? content = null)
    {
        using var http = new HttpClient();
        using var msg = RawSigner.Message(fx.Endpoint, fx.Token, method, path, query, headers,
            content is null ? null : new StringContent(content, Encoding.UTF8, "application/xml"));
        using var resp = await http.SendAsync(msg);
        return (resp.StatusCode, await resp.Content.ReadAsStringAsync());
    }

    private static void AssertS3Error(HttpStatusCode status, string code, (HttpStatusCode Status, string Body) answer)
    {
        Assert.True(answer.Status == status && answer.Body.Contains($"<Code>{code}</Code>"), $"{answer.Status} {answer.Body}");
    }

    [Fact]
    public async Task TagsBelongToAVersionAndChangingThemMakesNoNewVersion()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var v1 = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "one", TagSet = T("b", "2", "a", "1 ü&=") })).VersionId;
        Assert.Equal(["a=1 ü&=", "b=2"], await TagsAsync(s3, bucket, "k"));
        using (var got = await s3.GetObjectAsync(bucket, "k")) Assert.Equal(2, got.TagCount);

        var v2 = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "two" })).VersionId;
        Assert.Empty(await TagsAsync(s3, bucket, "k"));
        using (var got = await s3.GetObjectAsync(bucket, "k")) Assert.Equal(0, got.TagCount);
        Assert.Equal(["a=1 ü&=", "b=2"], await TagsAsync(s3, bucket, "k", v1));
        using (var got = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = v1 })) Assert.Equal(2, got.TagCount);

        var put = await s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "k", Tagging = new Tagging { TagSet = T("now", "latest") } });
        Assert.Equal(v2, put.VersionId);
        await s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "k", VersionId = v1, Tagging = new Tagging { TagSet = T("x", "y") } });
        Assert.Equal(["now=latest"], await TagsAsync(s3, bucket, "k"));
        Assert.Equal(["x=y"], await TagsAsync(s3, bucket, "k", v1));
        var versions = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket });
        Assert.Equal([v2, v1], versions.Versions!.Select(v => v.VersionId));

        await s3.DeleteObjectTaggingAsync(new DeleteObjectTaggingRequest { BucketName = bucket, Key = "k", VersionId = v1 });
        Assert.Empty(await TagsAsync(s3, bucket, "k", v1));
        Assert.Equal(["now=latest"], await TagsAsync(s3, bucket, "k"));

        // A snapshot bucket of a commit shows that commit's version's tags.
        Assert.Equal(["now=latest"], await TagsAsync(s3, $"{v2}.{bucket}", "k"));

        var missing = await Assert.ThrowsAsync<AmazonS3Exception>(() => TagsAsync(s3, bucket, "nope"));
        Assert.Equal("NoSuchKey", missing.ErrorCode);
        var noVersion = await Assert.ThrowsAsync<AmazonS3Exception>(() => TagsAsync(s3, bucket, "k", new string('7', 32)));
        Assert.Equal("NoSuchVersion", noVersion.ErrorCode);
        var deleteMissing = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.DeleteObjectTaggingAsync(new DeleteObjectTaggingRequest { BucketName = bucket, Key = "nope" }));
        Assert.Equal("NoSuchKey", deleteMissing.ErrorCode);
        var putMissing = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectTaggingAsync(new PutObjectTaggingRequest
            { BucketName = bucket, Key = "k", VersionId = new string('7', 32), Tagging = new Tagging { TagSet = T("a", "b") } }));
        Assert.Equal("NoSuchVersion", putMissing.ErrorCode);
    }

    [Fact]
    public async Task InvalidTagsAreRefusedAndChangeNothing()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var v1 = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "one", TagSet = T("keep", "me") })).VersionId;
        List<List<Tag>> bad =
        [
            [.. Enumerable.Range(0, 11).Select(i => new Tag { Key = $"k{i}", Value = "v" })],
            T(new string('k', 129), "v"),
            T("k", new string('v', 257)),
            T("same", "1", "same", "2"),
        ];
        foreach (var tags in bad)
        {
            var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "k", Tagging = new Tagging { TagSet = tags } }));
            Assert.Equal(("InvalidTag", HttpStatusCode.BadRequest), (e.ErrorCode, e.StatusCode));
            var onPut = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "bad", TagSet = tags }));
            Assert.Equal("InvalidTag", onPut.ErrorCode);
            var onUpload = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "k", TagSet = tags }));
            Assert.Equal("InvalidTag", onUpload.ErrorCode);
        }
        // The largest allowed set is fine.
        var max = Enumerable.Range(0, 10).Select(i => new Tag { Key = $"{i}{new string('k', 127)}", Value = new string('v', 256) }).ToList();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "other", ContentBody = "o" });
        await s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "other", Tagging = new Tagging { TagSet = max } });
        Assert.Equal(10, (await TagsAsync(s3, bucket, "other")).Count);

        AssertS3Error(HttpStatusCode.BadRequest, "MalformedXML", await SendAsync(HttpMethod.Put, $"/{bucket}/k", "tagging", content: "<Tagging><TagSet><Tag><Key>a"));
        AssertS3Error(HttpStatusCode.BadRequest, "MalformedXML", await SendAsync(HttpMethod.Put, $"/{bucket}/k", "tagging", content: "<Nope/>"));
        AssertS3Error(HttpStatusCode.BadRequest, "MalformedXML", await SendAsync(HttpMethod.Put, $"/{bucket}/k", "tagging", content: "<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>"));
        AssertS3Error(HttpStatusCode.BadRequest, "InvalidArgument", await SendAsync(HttpMethod.Put, $"/{bucket}/c", "",
            [new("x-amz-copy-source", $"/{bucket}/k"), new("x-amz-tagging-directive", "MERGE")]));

        // Nothing changed: one version, its tags, its content; no upload was started.
        Assert.Equal(["keep=me"], await TagsAsync(s3, bucket, "k"));
        var versions = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket });
        Assert.Equal([v1], versions.Versions!.Where(v => v.Key == "k").Select(v => v.VersionId));
        Assert.Empty((await s3.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? []);
        Assert.Equal(0, (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "c" })).KeyCount ?? 0);
    }

    [Fact]
    public async Task CopiesAndMultipartUploadsCarryTags()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        var other = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        await s3.PutBucketAsync(other);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "src", ContentBody = "data", TagSet = T("a", "1") });

        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", DestinationBucket = other, DestinationKey = "copied" });
        Assert.Equal(["a=1"], await TagsAsync(s3, other, "copied"));
        await s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "replaced",
            TaggingDirective = TaggingDirective.REPLACE, TagSet = T("b", "2"),
        });
        Assert.Equal(["b=2"], await TagsAsync(s3, bucket, "replaced"));
        await s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "bare", TaggingDirective = TaggingDirective.REPLACE,
        });
        Assert.Empty(await TagsAsync(s3, bucket, "bare"));

        var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "mp", TagSet = T("m", "p q") });
        var part = await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream(Encoding.UTF8.GetBytes("part")),
        });
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartETags = [new PartETag(1, part.ETag)],
        });
        Assert.Equal(["m=p q"], await TagsAsync(s3, bucket, "mp"));
        var head = await s3.GetObjectMetadataAsync(bucket, "mp");
        Assert.DoesNotContain("x-amz-tagging", head.Headers.Keys);
        using (var got = await s3.GetObjectAsync(bucket, "mp")) Assert.Equal(1, got.TagCount);
    }

    [Fact]
    public async Task BucketTagsAreKeptPerBucketUntilDeleted()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var none = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket }));
        Assert.Equal(("NoSuchTagSet", HttpStatusCode.NotFound), (none.ErrorCode, none.StatusCode));
        await s3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = T("team", "data", "cost", "42") });
        Assert.Equal(["cost=42", "team=data"], Pairs((await s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket })).TagSet));
        var dup = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = T("a", "1", "a", "2") }));
        Assert.Equal("InvalidTag", dup.ErrorCode);
        Assert.Equal(["cost=42", "team=data"], Pairs((await s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket })).TagSet));
        var deleted = await s3.DeleteBucketTaggingAsync(new DeleteBucketTaggingRequest { BucketName = bucket });
        Assert.Equal(HttpStatusCode.NoContent, deleted.HttpStatusCode);
        await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket }));

        // A bucket made again under the same name starts without the old one's tags.
        await s3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = T("old", "yes") });
        await s3.DeleteBucketAsync(bucket);
        await s3.PutBucketAsync(bucket);
        await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket }));
        var noBucket = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = ServerFixture.NewBucket() }));
        Assert.Equal("NoSuchBucket", noBucket.ErrorCode);
    }

    [Fact]
    public async Task ReadersReadTagsAndOnlyWritersChangeThem()
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        var repo = bucket.Split('.')[1];
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket, CannedACL = S3CannedACL.PublicRead });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", TagSet = T("a", "1") });
        var users = new AuthUsers(fx.Admin);
        var (readerName, writerName) = (AuthUsers.NewName("reader"), AuthUsers.NewName("writer"));
        var (readerToken, _) = await users.UserAsync(readerName);
        var (writerToken, _) = await users.UserAsync(writerName);
        await users.GrantAsync(readerName, repo, "reader");
        await users.GrantAsync(writerName, repo, "writer");

        using var reader = fx.Client(readerToken, readerToken);
        Assert.Equal(["a=1"], await TagsAsync(reader, bucket, "k"));
        foreach (var write in new Func<Task>[]
        {
            () => reader.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "k", Tagging = new Tagging { TagSet = T("b", "2") } }),
            () => reader.DeleteObjectTaggingAsync(new DeleteObjectTaggingRequest { BucketName = bucket, Key = "k" }),
            () => reader.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = T("b", "2") }),
            () => reader.DeleteBucketTaggingAsync(new DeleteBucketTaggingRequest { BucketName = bucket }),
        })
            Assert.Equal("AccessDenied", (await Assert.ThrowsAsync<AmazonS3Exception>(write)).ErrorCode);
        Assert.Equal(["a=1"], await TagsAsync(s3, bucket, "k"));

        using var writer = fx.Client(writerToken, writerToken);
        await writer.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "k", Tagging = new Tagging { TagSet = T("b", "2") } });
        Assert.Equal(["b=2"], await TagsAsync(s3, bucket, "k"));

        // Public read opens the objects, not their tags.
        using var anon = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await anon.GetAsync($"{fx.Endpoint}/{bucket}/k")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anon.GetAsync($"{fx.Endpoint}/{bucket}/k?tagging")).StatusCode);
    }
}
