using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Strata.S3.Auth;

namespace Strata.Server.Tests;

/// <summary>A server started with --domain s3.example: Host bucket.s3.example addresses the bucket; path-style keeps working.</summary>
public sealed class VirtualHostFixture : IAsyncLifetime
{
    public const string Domain = "s3.example";
    public StrataServer Server { get; private set; } = null!;
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-vhost-").FullName;
    public int Port => new Uri(Server.Endpoint).Port;

    public async Task InitializeAsync()
    {
        var o = ServerOptions.Parse(["--domain", "other.test", "--domain", Domain + ",x.y"]);
        Assert.Equal(["other.test", Domain, "x.y"], o.Domains);
        o.DataDir = _dir;
        o.Address = "127.0.0.1";
        o.Port = 0;
        o.AdminPort = 0;
        o.Quiet = true;
        Server = await StrataServer.CreateAsync(o);
        await Server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

public sealed class VirtualHostTests(VirtualHostFixture fx) : IClassFixture<VirtualHostFixture>
{
    private string Token => fx.Server.RootToken;

    /// <summary>An HTTP client that connects to the server whatever host a request names (no DNS for s3.example here).</summary>
    private HttpMessageHandler Loopback() => new SocketsHttpHandler
    {
        ConnectCallback = async (_, ct) =>
        {
            var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await s.ConnectAsync(IPAddress.Loopback, fx.Port, ct);
            return new NetworkStream(s, ownsSocket: true);
        },
    };

    private AmazonS3Client PathStyle() => new(new BasicAWSCredentials(Token, Token), new AmazonS3Config
    {
        ServiceURL = fx.Server.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0,
    });

    [Fact]
    public async Task SigV4AndSigV2RequestsAddressTheBucketThroughTheHost()
    {
        var bucket = ServerFixture.NewBucket();
        using var s3 = PathStyle();
        await s3.PutBucketAsync(bucket);
        var vhost = $"http://{bucket}.{VirtualHostFixture.Domain}:{fx.Port}";
        using var http = new HttpClient(Loopback());

        // SigV4 signs the path as sent: /dir/a b.txt, with the bucket only in Host.
        var put = RawSigner.Message(vhost, Token, HttpMethod.Put, "/dir/a%20b.txt", content: new StringContent("virtual"));
        var r = await http.SendAsync(put);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var got = await s3.GetObjectAsync(bucket, "dir/a b.txt"))
            Assert.Equal("virtual", await new StreamReader(got.ResponseStream).ReadToEndAsync());

        var list = await http.SendAsync(RawSigner.Message(vhost, Token, HttpMethod.Get, "/", "list-type=2"));
        var xml = await list.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Contains($"<Name>{bucket}</Name>", xml);
        Assert.Contains("<Key>dir/a b.txt</Key>", xml);

        // SigV2's resource is /bucket/key even though the path is /key.
        foreach (var (path, query) in new[] { ("/dir/a%20b.txt", ""), ("/", "") })
        {
            var date = DateTimeOffset.UtcNow.ToString("R", CultureInfo.InvariantCulture);
            var view = new RequestView("GET", $"/{bucket}{path}", query, [new("Date", date)]);
            var sig = SigV2.Signature(Token, SigV2.StringToSign(view, date));
            var msg = new HttpRequestMessage(HttpMethod.Get, $"{vhost}{path}");
            msg.Headers.TryAddWithoutValidation("Date", date);
            msg.Headers.TryAddWithoutValidation("Authorization", $"AWS {Token}:{sig}");
            var v2 = await http.SendAsync(msg);
            Assert.True(v2.StatusCode == HttpStatusCode.OK, await v2.Content.ReadAsStringAsync());
        }

        // Host equal to the domain is path-style; so is an unknown host.
        var byPath = await http.SendAsync(RawSigner.Message($"http://{VirtualHostFixture.Domain}:{fx.Port}", Token, HttpMethod.Get, $"/{bucket}/dir/a%20b.txt"));
        Assert.Equal("virtual", await byPath.Content.ReadAsStringAsync());
        var buckets = await http.SendAsync(RawSigner.Message($"http://{VirtualHostFixture.Domain}:{fx.Port}", Token, HttpMethod.Get, "/"));
        Assert.Contains("<ListAllMyBucketsResult", await buckets.Content.ReadAsStringAsync());

        // A wrong bucket in the Host is that bucket's error, not a path-style fallback.
        var missing = await http.SendAsync(RawSigner.Message($"http://nope.none.{VirtualHostFixture.Domain}:{fx.Port}", Token, HttpMethod.Get, "/k"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("<BucketName>nope.none</BucketName>", await missing.Content.ReadAsStringAsync());
    }

    private sealed class LoopbackFactory(Func<HttpMessageHandler> handler, List<string> hosts) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new Recorder(handler(), hosts));
        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;
    }

    private sealed class Recorder(HttpMessageHandler inner, List<string> hosts) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            lock (hosts) hosts.Add(request.RequestUri!.Host);
            return base.SendAsync(request, ct);
        }
    }

    [Fact]
    public async Task AwsSdkWithVirtualHostedAddressingWorks()
    {
        var bucket = ServerFixture.NewBucket();
        var hosts = new List<string>();
        using var s3 = new AmazonS3Client(new BasicAWSCredentials(Token, Token), new AmazonS3Config
        {
            ServiceURL = $"http://{VirtualHostFixture.Domain}:{fx.Port}", ForcePathStyle = false, AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0, HttpClientFactory = new LoopbackFactory(Loopback, hosts),
        });
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a/b.txt", ContentBody = "sdk virtual" });
        using (var got = await s3.GetObjectAsync(bucket, "a/b.txt"))
            Assert.Equal("sdk virtual", await new StreamReader(got.ResponseStream).ReadToEndAsync());
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["a/b.txt"], listed.S3Objects!.Select(o => o.Key));
        await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = [new KeyVersion { Key = "a/b.txt" }] });
        Assert.Contains($"{bucket}.{VirtualHostFixture.Domain}", hosts);
    }
}
