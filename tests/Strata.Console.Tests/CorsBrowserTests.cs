using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Strata.Console.Tests;

/// <summary>
/// CORS as a browser enforces it: a page from another origin (a tiny HttpListener on another port)
/// fetch()es presigned URLs of the S3 gateway; Chromium sends the preflights, and the requests
/// succeed only once the bucket has a rule for that origin.
/// </summary>
public sealed class CorsBrowserTests : IClassFixture<ConsoleFixture>, IDisposable
{
    private readonly ConsoleFixture f;
    private readonly HttpListener _site;
    private string Origin { get; }

    public CorsBrowserTests(ConsoleFixture fixture)
    {
        f = fixture;
        _site = StartSite(out var origin);
        Origin = origin;
    }

    private static HttpListener StartSite(out string origin)
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        origin = $"http://127.0.0.1:{port}";
        var site = new HttpListener();
        site.Prefixes.Add(origin + "/");
        site.Start();
        _ = Task.Run(async () =>
        {
            while (site.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await site.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                var page = Encoding.UTF8.GetBytes("<!doctype html><title>other origin</title><p>another site</p>");
                ctx.Response.ContentType = "text/html";
                await ctx.Response.OutputStream.WriteAsync(page);
                ctx.Response.Close();
            }
        });
        return site;
    }

    public void Dispose() => _site.Close();

    private AmazonS3Client S3() => new(new BasicAWSCredentials(f.Server.RootToken, f.Server.RootToken), new AmazonS3Config
    {
        ServiceURL = f.Server.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1",
    });

    private string Presign(AmazonS3Client s3, string bucket, string key, HttpVerb verb) => s3.GetPreSignedURL(new GetPreSignedUrlRequest
    {
        BucketName = bucket, Key = key, Verb = verb, Expires = DateTime.UtcNow.AddMinutes(10), Protocol = Protocol.HTTP,
    });

    /// <summary>Runs fetch() in the page: "status|body|etag" or "failed: ..." when the browser blocks it.</summary>
    private static Task<string> FetchAsync(Microsoft.Playwright.IPage page, string url, string method, string? body = null) =>
        page.EvaluateAsync<string>("""
            async ([url, method, body]) => {
              try {
                const init = { method };
                if (body !== null) { init.body = body; init.headers = { 'Content-Type': 'text/plain' }; }
                const r = await fetch(url, init);
                return `${r.status}|${await r.text()}|${r.headers.get('ETag')}`;
              } catch (e) { return 'failed: ' + e.message; }
            }
            """, new object?[] { url, method, body });

    [Fact]
    public async Task A_page_from_another_origin_reads_and_writes_only_with_a_matching_cors_rule()
    {
        using var s3 = S3();
        var bucket = $"master.cors{Guid.NewGuid():N}"[..30];
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "hello.txt", ContentBody = "from strata" });
        var get = Presign(s3, bucket, "hello.txt", HttpVerb.GET);
        var put = Presign(s3, bucket, "up.txt", HttpVerb.PUT);

        var ctx = await f.Browser.NewContextAsync();
        var page = await ctx.NewPageAsync();
        await page.GotoAsync(Origin + "/");

        // No CORS configuration: the browser refuses both, and nothing is written.
        Assert.StartsWith("failed:", await FetchAsync(page, get, "GET"));
        Assert.StartsWith("failed:", await FetchAsync(page, put, "PUT", "from the browser"));
        // A rule for another origin changes nothing for this one.
        await s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new CORSConfiguration { Rules = [new CORSRule { AllowedOrigins = ["https://elsewhere.test"], AllowedMethods = ["GET", "PUT"], AllowedHeaders = ["*"] }] },
        });
        Assert.StartsWith("failed:", await FetchAsync(page, get, "GET"));
        Assert.StartsWith("failed:", await FetchAsync(page, put, "PUT", "from the browser"));
        var absent = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, "up.txt"));
        Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);

        await s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new CORSConfiguration
            {
                Rules = [new CORSRule { AllowedOrigins = [Origin], AllowedMethods = ["GET", "PUT"], AllowedHeaders = ["content-type"], ExposeHeaders = ["ETag"], MaxAgeSeconds = 0 }],
            },
        });
        Assert.Equal("200|from strata|\"" + Md5Hex("from strata") + "\"", await FetchAsync(page, get, "GET"));
        Assert.Equal("200||\"" + Md5Hex("from the browser") + "\"", await FetchAsync(page, put, "PUT", "from the browser"));
        using var written = await s3.GetObjectAsync(bucket, "up.txt");
        Assert.Equal("from the browser", await new StreamReader(written.ResponseStream).ReadToEndAsync());
        await ctx.CloseAsync();
    }

    private static string Md5Hex(string s) => Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(Encoding.UTF8.GetBytes(s)));
}
