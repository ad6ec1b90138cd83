using System.Net;

namespace Strata.Server.Tests;

/// <summary>SIGTERM during a 1 GiB upload: with time to spare it completes; cut by the deadline it leaves nothing.</summary>
public sealed class ShutdownTests
{
    private const long Size = 1L << 30;
    private const double Rate = 120e6; // bytes/s: about nine seconds of upload, so that SIGTERM lands in the middle

    private static async Task<(Task<HttpResponseMessage> Put, ThrottledBody Body, HttpClient Http)> StartUploadAsync(StrataNode node, string key)
    {
        var http = new HttpClient { Timeout = TimeSpan.FromMinutes(3) };
        (await http.PutAsync($"{node.Endpoint}/master.shut", null)).EnsureSuccessStatusCode();
        var body = new ThrottledBody(Size, Rate);
        var content = new StreamContent(body, 1 << 20);
        content.Headers.ContentLength = Size;
        var put = http.PutAsync($"{node.Endpoint}/master.shut/{key}", content);
        while (body.Sent < 128L << 20)
        {
            Assert.False(put.IsCompleted, "the upload ended early");
            await Task.Delay(50);
        }
        return (put, body, http);
    }

    [Fact]
    public async Task AnUploadInFlightFinishesWithinTheGraceAndTheServerExitsZero()
    {
        await using var node = new StrataNode(null, "term", "--no-auth", "--shutdown-grace", "60s");
        await node.StartAsync();
        var (put, body, http) = await StartUploadAsync(node, "big");
        using var _ = http;
        node.Terminate();
        // Soon it no longer takes connections, while the one in flight goes on.
        using (var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
        {
            var refused = false;
            for (var i = 0; i < 150 && !refused; i++)
            {
                try
                {
                    (await probe.GetAsync($"{node.Endpoint}/healthz")).Dispose();
                    await Task.Delay(100);
                }
                catch (HttpRequestException)
                {
                    refused = true;
                }
            }
            Assert.True(refused, "new connections were still accepted 15 s after SIGTERM");
        }
        Assert.True(body.Sent < Size, "the upload finished before the server stopped accepting connections");

        using var answer = await put;
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var etag = answer.Headers.ETag?.Tag;
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        node.Stop();
        await node.StartAsync();
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"{node.Endpoint}/master.shut/big"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(Size, head.Content.Headers.ContentLength);
        Assert.Equal(etag, head.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task AnUploadCutByTheDeadlineLeavesNothingVisible()
    {
        await using var node = new StrataNode(null, "cut", "--no-auth", "--shutdown-grace", "1s");
        await node.StartAsync();
        var (put, body, http) = await StartUploadAsync(node, "big");
        using var _ = http;
        node.Terminate();
        await Assert.ThrowsAnyAsync<Exception>(async () => (await put).EnsureSuccessStatusCode());
        Assert.True(body.Sent < Size, "the whole body was sent: the deadline did not cut it");
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        node.Stop();
        await node.StartAsync();
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"{node.Endpoint}/master.shut/big"));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        var versions = await http.GetStringAsync($"{node.Endpoint}/master.shut?versions");
        Assert.DoesNotContain("<Key>big</Key>", versions);
    }
}
