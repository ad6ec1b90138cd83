using System.Net;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

/// <summary>Health, readiness, /metrics and the access log, against real servers.</summary>
public sealed class OperationsTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task HealthAndReadinessAnswerWithoutCredentialsOnBothPorts()
    {
        using var http = new HttpClient();
        foreach (var endpoint in new[] { fx.Endpoint, fx.Server.AdminEndpoint })
        {
            var health = await http.GetAsync($"{endpoint}/healthz");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("ok", JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
            var ready = await http.GetAsync($"{endpoint}/readyz");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(("ready", "ok", "ok"), (body.GetProperty("status").GetString(), body.GetProperty("metadata").GetString(), body.GetProperty("chunks").GetString()));
        }
        // Anything else on the S3 port still needs a signature (an unsigned ListBuckets lists only public
        // buckets: see PublicReadTests), and /metrics lives only on the admin port.
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"{fx.Endpoint}/{ServerFixture.NewBucket()}/")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"{fx.Endpoint}/metrics")).StatusCode);
        Assert.Contains("strata_", await http.GetStringAsync($"{fx.Server.AdminEndpoint}/metrics"));
    }

    [Fact]
    public async Task MetricsCountTheRequestsOfAKnownWorkload()
    {
        // A process of its own: the counters are process-wide, and other test classes run servers in this one.
        await using var node = new StrataNode(null, "metrics");
        await node.StartAsync();
        using var s3 = node.Client();
        const string bucket = "master.metrics";
        await s3.PutBucketAsync(bucket);
        var body = new byte[(16 << 10) + 1000]; // above the size kept with the commit: chunk files
        for (var i = 0; i < 5; i++)
        {
            Random.Shared.NextBytes(body); // distinct bodies: five chunk writes, none deduplicated
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"k{i}", InputStream = new MemoryStream(body) });
        }
        for (var i = 0; i < 3; i++)
        {
            using var get = await s3.GetObjectAsync(bucket, $"k{i}");
            await get.ResponseStream.CopyToAsync(Stream.Null);
        }
        for (var i = 0; i < 2; i++)
            await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, "absent"));
        for (var i = 0; i < 2; i++)
            await s3.InitiateMultipartUploadAsync(bucket, $"mp{i}");
        using (var admin = node.Admin())
            (await admin.PostAsync("/api/gc?graceSeconds=0", null)).EnsureSuccessStatusCode();

        var m = await PrometheusText.ScrapeAsync(node.AdminEndpoint);
        const string requests = "strata_s3_requests_total";
        Assert.Equal(1, m.Get(requests, ("operation", "CreateBucket"), ("status", "200")));
        Assert.Equal(5, m.Get(requests, ("operation", "PutObject"), ("status", "200")));
        Assert.Equal(3, m.Get(requests, ("operation", "GetObject"), ("status", "200")));
        Assert.Equal(2, m.Get(requests, ("operation", "HeadObject"), ("status", "404")));
        Assert.Equal(2, m.Get(requests, ("operation", "CreateMultipartUpload"), ("status", "200")));
        Assert.Equal(0, m.Get(requests, ("operation", "PutObject"), ("status", "500")));
        Assert.Equal(5, m.Get("strata_s3_request_duration_seconds_count", ("operation", "PutObject")));
        Assert.Equal(3, m.Get("strata_s3_time_to_first_byte_seconds_count", ("operation", "GetObject")));
        Assert.Equal(3 * body.Length, m.Get("strata_s3_sent_bytes_total", ("operation", "GetObject")));
        // As sent: AWSSDK frames the bodies with aws-chunked signatures and a checksum trailer.
        Assert.InRange(m.Get("strata_s3_received_bytes_total", ("operation", "PutObject")), 5 * body.Length, 5 * (body.Length + 1024));
        Assert.Equal(5, m.Get("strata_commits_total"));
        Assert.Equal(2, m.Get("strata_uploads_open"));
        Assert.Equal(1, m.Get("strata_gc_runs_total", ("outcome", "ok")));
        Assert.True(m.Get("strata_gc_last_finished_seconds") > 1.7e9);
        Assert.True(m.Get("strata_metadata_duration_seconds_count", ("method", "TryCommitChainAsync")) >= 1);
        Assert.True(m.Get("strata_chunk_store_duration_seconds_count", ("operation", "put")) >= 5);
    }

    [Fact]
    public async Task TheAccessLogHasAJsonLinePerRequestWithItsRequestId()
    {
        await using var node = new StrataNode(null, "log", "--log-format", "json") { Quiet = false };
        await node.StartAsync();
        using var s3 = node.Client();
        await s3.PutBucketAsync("master.logged");
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = "master.logged", Key = "dir/a.txt", ContentBody = "hello log" });
        var id = put.ResponseMetadata.RequestId;
        Assert.False(string.IsNullOrEmpty(id));

        JsonElement? line = null;
        for (var i = 0; i < 50 && line is null; i++)
        {
            line = node.Log.Split('\n').Where(l => l.StartsWith('{') && l.Contains(id, StringComparison.Ordinal))
                .Select(l => (JsonElement?)JsonDocument.Parse(l).RootElement).FirstOrDefault();
            if (line is null) await Task.Delay(100); // the console logger writes from its own thread
        }
        Assert.True(line is not null, $"no log line with request id {id}: {node.Log}");
        var e = line.Value;
        Assert.Equal("Strata.Access", e.GetProperty("Category").GetString());
        var state = e.GetProperty("State");
        string S(string name) => state.GetProperty(name).ToString();
        Assert.Equal(("PUT", "PutObject", "master.logged", "dir/a.txt", "200"), (S("Method"), S("Operation"), S("Bucket"), S("Key"), S("Status")));
        Assert.True(long.Parse(S("BytesIn")) >= "hello log".Length);
        Assert.True(double.Parse(S("DurationMs"), System.Globalization.CultureInfo.InvariantCulture) > 0);
    }
}

/// <summary>/readyz when a store is gone: the S3 chunk bucket of a PostgreSQL + radosgw node is deleted under it.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task ReadyzIs503AndNamesTheChunkStoreWhenItsBucketIsGone()
    {
        await using var shared = await ClusterBackends.CreateAsync();
        var endpoint = System.Web.HttpUtility.ParseQueryString(new Uri(shared.ChunksUrl).Query)["endpoint"]!;
        var bucket = $"ready-{Guid.NewGuid():N}"[..30];
        using var s3 = new AmazonS3Client(new BasicAWSCredentials(shared.S3AccessKey, shared.S3SecretKey),
            new AmazonS3Config { ServiceURL = endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        await s3.PutBucketAsync(bucket);
        var backends = new ClusterBackends
        {
            MetadataUrl = shared.MetadataUrl, ChunksUrl = $"s3://{bucket}/x?endpoint={Uri.EscapeDataString(endpoint)}",
            S3AccessKey = shared.S3AccessKey, S3SecretKey = shared.S3SecretKey,
        };
        await using var node = new StrataNode(backends, "ready");
        await node.StartAsync();
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{node.Endpoint}/readyz")).StatusCode);

        await s3.DeleteBucketAsync(bucket);
        var gone = await http.GetAsync($"{node.AdminEndpoint}/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, gone.StatusCode);
        var body = JsonDocument.Parse(await gone.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("ok", body.GetProperty("metadata").GetString());
        Assert.NotEqual("ok", body.GetProperty("chunks").GetString());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{node.Endpoint}/healthz")).StatusCode); // up, just not ready

        await s3.PutBucketAsync(bucket);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{node.Endpoint}/readyz")).StatusCode);
    }
}
