using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace Strata.Server.Tests;

/// <summary>Bad requests sent raw and signed (auth on): each gets its S3 error, and nothing changes.</summary>
public sealed class HostileInputTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private async Task<string> BucketWithObjectAsync(string body = "0123456789")
    {
        using var s3 = fx.Client();
        var bucket = ServerFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = body });
        return bucket;
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, string query = "",
        IEnumerable<KeyValuePair<string, string>>? headers = null, string? content = null)
    {
        using var http = new HttpClient();
        using var msg = RawSigner.Message(fx.Endpoint, fx.Token, method, path, query, headers, content is null ? null : new StringContent(content));
        using var resp = await http.SendAsync(msg);
        return (resp.StatusCode, await resp.Content.ReadAsStringAsync());
    }

    private static void AssertS3Error(HttpStatusCode status, string code, (HttpStatusCode Status, string Body) answer)
    {
        Assert.Equal(status, answer.Status);
        Assert.Contains($"<Code>{code}</Code>", answer.Body);
        Assert.Contains("<RequestId>", answer.Body);
    }

    private async Task AssertAbsentAsync(string bucket, string key)
    {
        using var s3 = fx.Client();
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, key));
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
    }

    [Fact]
    public async Task UserMetadataOverTwoKilobytesIsMetadataTooLargeAndStoresNothing()
    {
        var bucket = await BucketWithObjectAsync();
        var big = new[] { new KeyValuePair<string, string>("x-amz-meta-big", new string('m', 16 << 10)) };
        AssertS3Error(HttpStatusCode.BadRequest, "MetadataTooLarge", await SendAsync(HttpMethod.Put, $"/{bucket}/meta", headers: big, content: "body"));
        await AssertAbsentAsync(bucket, "meta");
        AssertS3Error(HttpStatusCode.BadRequest, "MetadataTooLarge", await SendAsync(HttpMethod.Post, $"/{bucket}/meta", "uploads", big));

        // 2,048 bytes of name (without the prefix) and value is still allowed.
        var atLimit = new[] { new KeyValuePair<string, string>("x-amz-meta-m", new string('v', 2047)) };
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/{bucket}/meta", headers: atLimit, content: "body")).Status);
    }

    [Fact]
    public async Task TooManyOrTooLargeHeadersAreRequestHeaderSectionTooLarge()
    {
        var bucket = await BucketWithObjectAsync();
        var many = Enumerable.Range(0, 150).Select(i => new KeyValuePair<string, string>($"x-pad-{i}", "v")).ToList();
        AssertS3Error(HttpStatusCode.BadRequest, "RequestHeaderSectionTooLarge", await SendAsync(HttpMethod.Put, $"/{bucket}/h", headers: many, content: "x"));
        var large = new[] { new KeyValuePair<string, string>("x-pad", new string('p', 9000)) };
        AssertS3Error(HttpStatusCode.BadRequest, "RequestHeaderSectionTooLarge", await SendAsync(HttpMethod.Put, $"/{bucket}/h", headers: large, content: "x"));
        await AssertAbsentAsync(bucket, "h");
        // Far past the limits Kestrel refuses the request head before Strata sees it (documented: 431, no body).
        var absurd = Enumerable.Range(0, 2000).Select(i => new KeyValuePair<string, string>($"x-pad-{i}", "v")).ToList();
        Assert.Equal((HttpStatusCode)431, (await SendAsync(HttpMethod.Get, $"/{bucket}/k", headers: absurd)).Status);
    }

    [Fact]
    public async Task BucketNamesS3RefusesAreInvalidBucketNameAndCreateNothing()
    {
        string[] bad = ["a", "ab", "-bad-", "foo_bar", "foo-", "foo..bar", "foo.-bar", "foo-.bar", "alpha!soup", new string('a', 64), "a.b.c.d"];
        foreach (var name in bad)
        {
            var (status, body) = await SendAsync(HttpMethod.Put, "/" + Uri.EscapeDataString(name));
            Assert.True(status == HttpStatusCode.BadRequest && body.Contains("<Code>InvalidBucketName</Code>"), $"{name}: {status} {body}");
            Assert.Contains("<Message>", body);
        }
        using var s3 = fx.Client();
        var names = (await s3.ListBucketsAsync()).Buckets?.Select(b => b.BucketName).ToList() ?? [];
        Assert.DoesNotContain(names, n => bad.Contains(n) || bad.Contains(n.Replace("master.", "")));
        var good = "ok-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/" + good)).Status); // a bare repo: master.<repo>
    }

    [Fact]
    public async Task RangesPastTheEndAre416AndMalformedRangesServeTheWholeObject()
    {
        var bucket = await BucketWithObjectAsync("0123456789");
        foreach (var range in new[] { "bytes=20-30", "bytes=20-30,40-50", "bytes=10-" })
            AssertS3Error(HttpStatusCode.RequestedRangeNotSatisfiable, "InvalidRange",
                await SendAsync(HttpMethod.Get, $"/{bucket}/k", headers: [new("Range", range)]));
        foreach (var range in new[] { "bytes=5-2", "bytes=abc", "bytes=0-1,20-30", "items=0-1" })
        {
            var (status, body) = await SendAsync(HttpMethod.Get, $"/{bucket}/k", headers: [new("Range", range)]);
            Assert.True(status == HttpStatusCode.OK && body == "0123456789", $"{range}: {status} {body}");
        }
        var part = await SendAsync(HttpMethod.Get, $"/{bucket}/k", headers: [new("Range", "bytes=2-4")]);
        Assert.Equal((HttpStatusCode.PartialContent, "234"), part);
    }

    [Fact]
    public async Task CorsPreflightsAreRefusedAsByABucketWithoutCorsConfiguration()
    {
        var bucket = await BucketWithObjectAsync();
        using var http = new HttpClient();
        using var bare = await http.SendAsync(new HttpRequestMessage(HttpMethod.Options, $"{fx.Endpoint}/{bucket}/k"));
        AssertS3Error(HttpStatusCode.BadRequest, "InvalidRequest", (bare.StatusCode, await bare.Content.ReadAsStringAsync()));
        var preflight = new HttpRequestMessage(HttpMethod.Options, $"{fx.Endpoint}/{bucket}/k");
        preflight.Headers.Add("Origin", "http://example.test");
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        using var refused = await http.SendAsync(preflight);
        AssertS3Error(HttpStatusCode.Forbidden, "AccessForbidden", (refused.StatusCode, await refused.Content.ReadAsStringAsync()));
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    /// <summary>Sends a signed PUT of the key over a raw connection: the request line, the signature, then <paramref name="rest"/> as given.</summary>
    private async Task<string> RawPutAsync(string bucket, string key, string rest, TimeSpan within)
    {
        var uri = new Uri(fx.Endpoint);
        var head = new StringBuilder($"PUT /{bucket}/{key} HTTP/1.1\r\n");
        foreach (var (k, v) in RawSigner.Sign(fx.Endpoint, fx.Token, "PUT", $"/{bucket}/{key}")) head.Append($"{k}: {v}\r\n");
        head.Append(rest);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        return await ReadAnswerAsync(stream, within);
    }

    [Fact]
    public async Task AStalledBodyEndsInRequestTimeoutAndStoresNothing()
    {
        var bucket = await BucketWithObjectAsync();
        // The client stays connected and sends nothing more: after the minimum-rate grace (20 s) the server answers.
        var answer = await RawPutAsync(bucket, "stalled", "Content-Length: 1000\r\n\r\n0123456789", TimeSpan.FromSeconds(60));
        Assert.StartsWith("HTTP/1.1 400", answer);
        Assert.Contains("<Code>RequestTimeout</Code>", answer);
        await AssertAbsentAsync(bucket, "stalled");
    }

    [Fact]
    public async Task APutWithoutALengthOrChunkedBodyIsMissingContentLengthAndStoresNothing()
    {
        var bucket = await BucketWithObjectAsync();
        // Neither Content-Length nor Transfer-Encoding: HTTP reads that as no body, S3 as a missing length.
        var answer = await RawPutAsync(bucket, "nolength", "\r\n", TimeSpan.FromSeconds(30));
        Assert.StartsWith("HTTP/1.1 411", answer);
        Assert.Contains("<Code>MissingContentLength</Code>", answer);
        await AssertAbsentAsync(bucket, "nolength");
    }

    internal static async Task<string> ReadAnswerAsync(NetworkStream stream, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        var buf = new byte[8192];
        var text = new StringBuilder();
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buf, cts.Token)) > 0)
            {
                text.Append(Encoding.UTF8.GetString(buf, 0, n));
                if (text.ToString().Contains("</Error>")) break;
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException) { }
        return text.ToString();
    }
}

/// <summary>Slow clients (slowloris) are cut off by the header timeout and do not starve a normal client.</summary>
public sealed class SlowClientTests
{
    [Fact]
    public async Task TwoHundredSlowConnectionsDoNotKeepANormalClientFromBeingServed()
    {
        await using var node = new StrataNode(null, "slow", "--header-timeout", "3s");
        await node.StartAsync();
        var uri = new Uri(node.Endpoint);
        var slow = new List<TcpClient>();
        for (var i = 0; i < 200; i++)
        {
            var c = new TcpClient();
            await c.ConnectAsync(uri.Host, uri.Port);
            await c.GetStream().WriteAsync(Encoding.ASCII.GetBytes("PUT /master.slow/x HTTP/1.1\r\nHost: x\r\n"));
            slow.Add(c);
        }
        using var trickle = new CancellationTokenSource();
        var dribble = Task.Run(async () =>
        {
            // One more header byte on every connection each half second: never a complete head.
            while (!trickle.IsCancellationRequested)
            {
                foreach (var c in slow)
                    try { await c.GetStream().WriteAsync("x"u8.ToArray()); } catch (IOException) { } catch (InvalidOperationException) { }
                await Task.Delay(500);
            }
        });

        using (var s3 = node.Client())
        {
            await s3.PutBucketAsync("master.busy");
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "master.busy", Key = "k", ContentBody = "served" });
            using var get = await s3.GetObjectAsync("master.busy", "k");
            Assert.Equal("served", await new StreamReader(get.ResponseStream).ReadToEndAsync());
        }

        // Past the header timeout every slow connection has been closed by the server.
        await Task.Delay(TimeSpan.FromSeconds(6));
        trickle.Cancel();
        await dribble;
        var closed = 0;
        foreach (var c in slow)
        {
            if (!c.Connected)
            {
                closed++; // a write already found it closed
                c.Dispose();
                continue;
            }
            var answer = await HostileInputTests.ReadAnswerAsync(c.GetStream(), TimeSpan.FromSeconds(1));
            // Kestrel closes the connection, having answered 408 without a body (no request reached Strata).
            if (answer.Length == 0 || answer.StartsWith("HTTP/1.1 408", StringComparison.Ordinal)) closed++;
            c.Dispose();
        }
        Assert.Equal(200, closed);
    }
}
