using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

public class AdminApiTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task ReposBranchesCommitsHistoryAndDiff()
    {
        using var s3 = fx.Client();
        using var admin = fx.Admin();
        var repo = "r" + Guid.NewGuid().ToString("N")[..12];
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/repos", new { name = repo })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/api/repos", new { name = repo })).StatusCode);
        var bucket = $"master.{repo}";
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a.txt", ContentBody = "one" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "b.txt", ContentBody = "bee" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a.txt", ContentBody = "three" });
        await s3.DeleteObjectAsync(bucket, "b.txt");

        using var info = JsonDocument.Parse(await admin.GetStringAsync($"/api/repos/{repo}"));
        var master = info.RootElement.GetProperty("branches")[0];
        Assert.Equal(1, master.GetProperty("files").GetInt32());
        Assert.Equal(5, master.GetProperty("size").GetInt32());

        using var commits = JsonDocument.Parse(await admin.GetStringAsync($"/api/repos/{repo}/branches/master/commits?limit=2"));
        Assert.Equal(2, commits.RootElement.GetProperty("commits").GetArrayLength());
        var next = commits.RootElement.GetProperty("next").GetString();
        using var rest = JsonDocument.Parse(await admin.GetStringAsync($"/api/repos/{repo}/branches/master/commits?after={next}"));
        Assert.Equal(2, rest.RootElement.GetProperty("commits").GetArrayLength());

        using var history = JsonDocument.Parse(await admin.GetStringAsync($"/api/repos/{repo}/history?at=master&path=a.txt"));
        Assert.Equal([5, 3], history.RootElement.EnumerateArray().Select(v => v.GetProperty("size").GetInt32()));

        using var diff = JsonDocument.Parse(await admin.GetStringAsync($"/api/repos/{repo}/diff?from=master.1&to=master"));
        var changes = diff.RootElement.GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("path").GetString() + ":" + c.GetProperty("change").GetString());
        Assert.Equal(["a.txt:modified"], changes);
        using var diff2 = JsonDocument.Parse(await admin.GetStringAsync($"/api/repos/{repo}/diff?from=master^&to=master"));
        Assert.Equal("b.txt:deleted", diff2.RootElement.GetProperty("changes")[0].GetProperty("path").GetString() + ":" + diff2.RootElement.GetProperty("changes")[0].GetProperty("change").GetString());

        // A branch made from an older commit shows that commit's files through S3.
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync($"/api/repos/{repo}/branches", new { name = "old", from = "master~2" })).StatusCode);
        var old = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = $"old.{repo}" });
        Assert.Equal(["a.txt", "b.txt"], old.S3Objects.Select(o => o.Key));

        using var files = JsonDocument.Parse(await admin.GetStringAsync($"/api/repos/{repo}/files?at=old"));
        Assert.Equal(2, files.RootElement.GetProperty("files").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/repos/{repo}/files?at=nosuchbranch")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/repos/{repo}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/repos/{repo}")).StatusCode);
    }

    [Fact]
    public async Task AdminApiNeedsTheToken()
    {
        using var anon = new HttpClient { BaseAddress = new Uri(fx.Server.AdminEndpoint) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anon.GetAsync("/api/repos")).StatusCode);
        anon.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anon.GetAsync("/api/repos")).StatusCode);
    }
}
