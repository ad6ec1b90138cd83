using Amazon.Runtime;
using Amazon.S3;
using Strata.Server;

namespace Strata.Server.Tests;

/// <summary>A real Strata (Kestrel on 127.0.0.1, embedded storage in a temp dir) shared by a test class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public StrataServer Server { get; private set; } = null!;
    public string DataDir { get; } = Directory.CreateTempSubdirectory("strata-e2e-").FullName;
    public string Endpoint => Server.Endpoint;

    public async Task InitializeAsync()
    {
        Server = await StrataServer.CreateAsync(new ServerOptions { DataDir = DataDir, Address = "127.0.0.1", Port = 0, AdminPort = 0, Quiet = true });
        await Server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }

    /// <summary>AWSSDK.S3 with its default checksum behaviour (aws-chunked bodies with CRC32 trailers).</summary>
    public string Token => Server.RootToken;

    /// <summary>An HTTP client for the admin API, with the root token.</summary>
    public HttpClient Admin()
    {
        var http = new HttpClient { BaseAddress = new Uri(Server.AdminEndpoint) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        return http;
    }

    public AmazonS3Client Client() => Client(Token, Token);

    public AmazonS3Client Client(string accessKey, string secret) => new(new BasicAWSCredentials(accessKey, secret), new AmazonS3Config
    {
        ServiceURL = Endpoint,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        MaxErrorRetry = 0,
    });

    public static string NewBucket(string branch = "master") => $"{branch}.r{Guid.NewGuid():N}"[..Math.Min(60, branch.Length + 34)];
}
