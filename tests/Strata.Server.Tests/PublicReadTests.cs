using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

/// <summary>The public-read canned ACL: anonymous read of one repo, granted and taken back by its owner, audited.</summary>
public sealed class PublicReadTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task PublicReadBucketsServeUnsignedReadsAndNothingElse()
    {
        using var s3 = fx.Client();
        var open = ServerFixture.NewBucket();
        var closed = ServerFixture.NewBucket();
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = open, CannedACL = S3CannedACL.PublicRead });
        await s3.PutBucketAsync(closed);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = open, Key = "dir/a.txt", ContentBody = "public data", CannedACL = S3CannedACL.PublicRead });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = closed, Key = "a.txt", ContentBody = "private data" });

        using var anon = new HttpClient { BaseAddress = new Uri(fx.Endpoint) };
        Assert.Equal("public data", await anon.GetStringAsync($"/{open}/dir/a.txt"));
        Assert.Contains("<Key>dir/a.txt</Key>", await anon.GetStringAsync($"/{open}?list-type=2"));
        // An unsigned ListBuckets lists only the buckets anyone may read.
        var anonBuckets = await anon.GetStringAsync("/");
        Assert.Contains($"<Name>{open}</Name>", anonBuckets);
        Assert.DoesNotContain($"<Name>{closed}</Name>", anonBuckets);
        // Writes and other repos still need a signature.
        var put = await anon.PutAsync($"/{open}/evil.txt", new StringContent("x"));
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", await put.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await anon.DeleteAsync($"/{open}/dir/a.txt")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anon.GetAsync($"/{closed}/a.txt")).StatusCode);
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = open });
        Assert.Equal(["dir/a.txt"], listed.S3Objects!.Select(o => o.Key));

        var acl = await s3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = open });
        Assert.Contains(acl.Grants!, g => g.Grantee?.URI == "http://acs.amazonaws.com/groups/global/AllUsers" && g.Permission == S3Permission.READ);
        // An object cannot be more or less public than its repo.
        var perObject = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(
            new PutObjectRequest { BucketName = closed, Key = "b.txt", ContentBody = "x", CannedACL = S3CannedACL.PublicRead }));
        Assert.Equal(HttpStatusCode.NotImplemented, perObject.StatusCode);

        // The owner takes it back: unsigned reads are refused at once.
        await s3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = open, ACL = S3CannedACL.Private });
        Assert.Equal(HttpStatusCode.Forbidden, (await anon.GetAsync($"/{open}/dir/a.txt")).StatusCode);
        Assert.DoesNotContain($"<Name>{open}</Name>", await anon.GetStringAsync("/"));
        Assert.DoesNotContain((await s3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = open })).Grants!, g => g.Grantee?.URI is not null);
        await s3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = open, ACL = S3CannedACL.PublicRead });
        Assert.Equal("public data", await anon.GetStringAsync($"/{open}/dir/a.txt"));

        using var admin = fx.Admin();
        var audit = await admin.GetStringAsync("/api/auth/audit?limit=1000");
        Assert.Contains("S3 canned ACL public-read", audit);
        Assert.Contains("S3 canned ACL private", audit);
    }
}
