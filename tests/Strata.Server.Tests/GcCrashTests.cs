using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

/// <summary>A collection killed with SIGKILL in the middle of its mark or its sweep loses nothing live; the next one finishes the job.</summary>
public sealed class GcCrashTests
{
    [Theory]
    [InlineData("embedded", "marking")]
    [InlineData("embedded", "swept-chunks")]
    [InlineData("cluster", "marking")]
    [InlineData("cluster", "swept-chunks")]
    public async Task KillDuringACollectionThenCollectAgain(string kind, string phase)
    {
        await using var t = await GcTarget.StartAsync(kind, env: new() { ["STRATA_TEST_GC_PAUSE"] = $"{phase}:30" });
        using var s3 = t.A.Client();
        var repo = "crash" + Guid.NewGuid().ToString("N")[..10];
        await s3.PutBucketAsync($"master.{repo}");
        await s3.PutBucketAsync($"junk.{repo}");
        var live = new List<(string Key, string Version, byte[] Sha)>();
        for (var i = 0; i < 6; i++)
        {
            var body = new byte[(1 << 20) + i * 1000];
            new Random(i).NextBytes(body);
            var r = await s3.PutObjectAsync(new PutObjectRequest { BucketName = $"master.{repo}", Key = $"k{i % 4}", InputStream = new MemoryStream(body) });
            live.Add(($"k{i % 4}", r.VersionId, SHA256.HashData(body)));
            var junk = new byte[2 << 20];
            new Random(100 + i).NextBytes(junk);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = $"junk.{repo}", Key = $"j{i}", InputStream = new MemoryStream(junk) });
        }
        using (var admin = t.A.Admin()) Assert.True((await admin.DeleteAsync($"api/repos/{repo}/branches/junk")).IsSuccessStatusCode);
        var withGarbage = await t.StoredBytesAsync();

        await Task.Delay(2500); // an S3 store's touch times have whole seconds: let the garbage be older than that
        // The run pauses at the phase; the process is killed there.
        var run = GcTarget.PostAsync(t.A, "gc?graceSeconds=0");
        using (var admin = t.A.Admin())
        {
            var deadline = DateTime.UtcNow.AddSeconds(25);
            while (System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync("api/gc")).RootElement.GetProperty("running") is var running
                   && (running.ValueKind != System.Text.Json.JsonValueKind.Object || running.GetProperty("phase").GetString() != (phase == "marking" ? "mark" : "sweep")))
            {
                Assert.True(DateTime.UtcNow < deadline, "the collection never reached the phase");
                await Task.Delay(100);
            }
        }
        await Task.Delay(300);
        t.A.Kill();
        await Assert.ThrowsAnyAsync<Exception>(() => run);

        // Restarted without the pause: the lease of the dead run is still held, so wait it out.
        t.A.Environment.Remove("STRATA_TEST_GC_PAUSE");
        await t.A.StartAsync();
        using var again = t.A.Client();
        System.Text.Json.JsonElement gc = default;
        for (var attempt = 0; ; attempt++)
        {
            using var admin = t.A.Admin();
            var resp = await admin.PostAsync("api/gc?graceSeconds=0", null);
            if (resp.IsSuccessStatusCode)
            {
                gc = System.Text.Json.JsonDocument.Parse(await resp.Content.ReadAsStringAsync()).RootElement.Clone();
                break;
            }
            Assert.True(attempt < 40 && resp.StatusCode == System.Net.HttpStatusCode.Conflict, await resp.Content.ReadAsStringAsync());
            await Task.Delay(2000); // the dead run's lease lapses within 30 s
        }
        foreach (var (key, version, sha) in live)
        {
            using var r = await again.GetObjectAsync(new GetObjectRequest { BucketName = $"master.{repo}", Key = key, VersionId = version });
            var ms = new MemoryStream();
            await r.ResponseStream.CopyToAsync(ms);
            Assert.Equal(sha, SHA256.HashData(ms.ToArray()));
        }
        await GcTarget.AssertFsckCleanAsync(t.A);
        var after = await t.StoredBytesAsync();
        Assert.True(withGarbage - after >= 10L << 20, $"the garbage was not freed: {withGarbage} -> {after} ({gc})");
    }

    [Fact]
    public async Task ScheduledCollectionsRunOnTheirOwn()
    {
        // The grace must outlast the setup PUT on a loaded machine: a write that overlaps the start of a
        // collection and took longer than the grace is refused with 503 (as designed), and the scheduler
        // starts one every second here.
        await using var t = await GcTarget.StartAsync("embedded", args: ["--gc-interval", "1s", "--gc-grace", "5s"]);
        using var s3 = t.A.Client();
        var repo = "sched" + Guid.NewGuid().ToString("N")[..10];
        await s3.PutBucketAsync($"junk.{repo}");
        var junk = new byte[3 << 20];
        new Random(5).NextBytes(junk);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = $"junk.{repo}", Key = "j", InputStream = new MemoryStream(junk) });
        using var admin = t.A.Admin();
        Assert.True((await admin.DeleteAsync($"api/repos/{repo}/branches/junk")).IsSuccessStatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(45);
        while (true)
        {
            var last = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync("api/gc")).RootElement.GetProperty("last");
            if (last.ValueKind == System.Text.Json.JsonValueKind.Object && last.GetProperty("chunkBytesFreed").GetInt64() >= junk.Length) break;
            Assert.True(DateTime.UtcNow < deadline, "no scheduled collection freed the deleted branch: " + last);
            await Task.Delay(500);
        }
    }
}
