using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Npgsql;

namespace Strata.Server.Tests;

/// <summary>
/// The shared backends of a test cluster: a fresh PostgreSQL database and a fresh prefix in a
/// radosgw bucket, from STRATA_TEST_POSTGRES and STRATA_TEST_S3 (./test.sh starts both).
/// </summary>
public sealed class ClusterBackends : IAsyncDisposable
{
    public required string MetadataUrl { get; init; }
    public required string ChunksUrl { get; init; }
    public required string S3AccessKey { get; init; }
    public required string S3SecretKey { get; init; }
    /// <summary>
    /// The root token every node of this cluster is given in its data dir, as an operator would:
    /// the database keeps only its hash, so a node cannot learn it from there.
    /// </summary>
    public string RootToken { get; } = Strata.Core.Auth.Tokens.New();
    private string _database = "";
    private string _admin = "";

    private static string Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v
        : throw new InvalidOperationException($"{name} is not set: run ./test.sh, which starts PostgreSQL and radosgw for the cluster tests");

    public static async Task<ClusterBackends> CreateAsync()
    {
        var admin = new NpgsqlConnectionStringBuilder(Env("STRATA_TEST_POSTGRES"));
        var db = $"strata_c_{Guid.NewGuid():N}";
        await using (var c = new NpgsqlConnection(admin.ConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {db}", c); // a generated identifier, not input
            await cmd.ExecuteNonQueryAsync();
        }
        var s3 = Env("STRATA_TEST_S3");
        var (ak, sk) = (Env("STRATA_TEST_S3_ACCESS_KEY"), Env("STRATA_TEST_S3_SECRET_KEY"));
        var uri = new Uri(s3);
        var endpoint = System.Web.HttpUtility.ParseQueryString(uri.Query)["endpoint"]!;
        using (var client = new AmazonS3Client(new BasicAWSCredentials(ak, sk), new AmazonS3Config { ServiceURL = endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" }))
        {
            try { await client.PutBucketAsync(uri.Host); }
            catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists") { }
        }
        var user = admin.Username ?? "postgres";
        var pass = string.IsNullOrEmpty(admin.Password) ? "" : ":" + Uri.EscapeDataString(admin.Password);
        return new ClusterBackends
        {
            MetadataUrl = $"postgres://{Uri.EscapeDataString(user)}{pass}@{admin.Host}:{admin.Port}/{db}",
            ChunksUrl = $"s3://{uri.Host}/cluster-{Guid.NewGuid():N}?endpoint={Uri.EscapeDataString(endpoint)}",
            S3AccessKey = ak, S3SecretKey = sk, _database = db, _admin = admin.ConnectionString,
        };
    }

    /// <summary>Total bytes of the chunk objects under this cluster's prefix.</summary>
    public async Task<long> ChunkBytesAsync()
    {
        var uri = new Uri(ChunksUrl);
        var endpoint = System.Web.HttpUtility.ParseQueryString(uri.Query)["endpoint"]!;
        using var client = new AmazonS3Client(new BasicAWSCredentials(S3AccessKey, S3SecretKey),
            new AmazonS3Config { ServiceURL = endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        long total = 0;
        string? token = null;
        do
        {
            var page = await client.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request
            {
                BucketName = uri.Host, Prefix = uri.AbsolutePath.Trim('/') + "/", ContinuationToken = token,
            });
            total += (page.S3Objects ?? []).Sum(o => o.Size ?? 0);
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (token is not null);
        return total;
    }

    public async ValueTask DisposeAsync()
    {
        await using var c = new NpgsqlConnection(_admin);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", c);
        await cmd.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// One Strata server as its own OS process (so that it can be killed with SIGKILL), on the
/// cluster's backends, or on the embedded ones in its data dir when there are none.
/// </summary>
public sealed class StrataNode(ClusterBackends? backends, string name, params string[] extraArgs) : IAsyncDisposable
{
    private Process? _process;
    public string DataDir { get; } = Directory.CreateTempSubdirectory($"strata-node-{name}-").FullName;
    /// <summary>Start with --quiet (no log); false keeps the log, which <see cref="Log"/> reads.</summary>
    public bool Quiet { get; init; } = true;
    /// <summary>Environment for the process (e.g. a test hook).</summary>
    public Dictionary<string, string> Environment { get; } = [];
    /// <summary>Run with the data dir as the working directory (as `strata serve` on its default `./strata-data` is run from its parent).</summary>
    public bool RunInDataDir { get; init; }
    /// <summary>The running process's id.</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("not started");
    public int Port { get; } = FreePort();
    public int AdminPort { get; } = FreePort();
    public string Endpoint => $"http://127.0.0.1:{Port}";
    public string AdminEndpoint => $"http://127.0.0.1:{AdminPort}";
    public string Token { get; private set; } = "";
    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";
    private string LogPath => Path.Combine(DataDir, "..", Path.GetFileName(DataDir) + ".log");

    // A node keeps its ports across restarts, so they are picked here, below the ephemeral range
    // (32768+): a port the kernel hands out to any outgoing connection could be taken before the node binds it.
    private static int s_nextPort = 12000 + Random.Shared.Next(0, 8000);

    private static int FreePort()
    {
        while (true)
        {
            var port = Interlocked.Increment(ref s_nextPort);
            if (port >= 32000) Interlocked.CompareExchange(ref s_nextPort, 12000, port);
            try
            {
                using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                l.Start();
                return port;
            }
            catch (System.Net.Sockets.SocketException) { }
        }
    }

    /// <summary>The strata command built next to the tests.</summary>
    internal static string StrataDll => Path.Combine(AppContext.BaseDirectory, "strata.dll");

    public async Task StartAsync()
    {
        var rootFile = Path.Combine(DataDir, "root-token");
        if (backends is not null && !File.Exists(rootFile)) await File.WriteAllTextAsync(rootFile, backends.RootToken + "\n");
        var psi = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { StrataDll, "serve", "--data-dir", DataDir, "--port", $"{Port}", "--admin-port", $"{AdminPort}" },
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (RunInDataDir) psi.WorkingDirectory = DataDir;
        if (Quiet) psi.ArgumentList.Add("--quiet");
        if (backends is not null)
        {
            foreach (var a in new[] { "--metadata", backends.MetadataUrl, "--chunks", backends.ChunksUrl }) psi.ArgumentList.Add(a);
            psi.Environment["STRATA_CHUNKS_ACCESS_KEY"] = backends.S3AccessKey;
            psi.Environment["STRATA_CHUNKS_SECRET_KEY"] = backends.S3SecretKey;
        }
        foreach (var a in extraArgs) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Environment) psi.Environment[k] = v;
        var log = new StreamWriter(LogPath, append: true) { AutoFlush = true };
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient();
        for (var i = 0; i < 300; i++)
        {
            if (_process.HasExited) throw new InvalidOperationException($"node {name} exited {_process.ExitCode}: {Log}");
            try
            {
                await http.GetAsync(Endpoint);
                var tokenFile = Path.Combine(DataDir, "root-token");
                if (File.Exists(tokenFile))
                {
                    Token = (await File.ReadAllTextAsync(tokenFile)).Trim();
                    return;
                }
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"node {name} did not start: {Log}");
    }

    /// <summary>SIGKILL: no shutdown, no flush; what was acknowledged must already be durable.</summary>
    public void Kill()
    {
        _process?.Kill(entireProcessTree: true);
        _process?.WaitForExit();
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    /// <summary>SIGTERM, as an orchestrator stops a server: it should finish what is in flight and exit.</summary>
    public void Terminate()
    {
        if (_process is { HasExited: false } p && kill(p.Id, 15) != 0) throw new InvalidOperationException("kill(SIGTERM) failed");
    }

    /// <summary>The exit code, once the process has exited (TimeoutException if it does not within the time).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        try
        {
            await _process!.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"node {name} did not exit within {within}: {Log}");
        }
        return _process.ExitCode;
    }

    public AmazonS3Client Client(bool plainBodies = false) => new(new BasicAWSCredentials(Token, Token), new AmazonS3Config
    {
        ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0,
        Timeout = TimeSpan.FromMinutes(2),
        RequestChecksumCalculation = plainBodies ? RequestChecksumCalculation.WHEN_REQUIRED : RequestChecksumCalculation.WHEN_SUPPORTED,
    });

    public HttpClient Admin()
    {
        var http = new HttpClient { BaseAddress = new Uri(AdminEndpoint) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        return http;
    }

    /// <summary>Stops the process (if running) but keeps the data dir, so that StartAsync can run the node again.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false }) Kill();
        _process?.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}

/// <summary>Two nodes, A and B, on one PostgreSQL database and one radosgw bucket prefix.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public ClusterBackends Backends { get; private set; } = null!;
    public StrataNode A { get; private set; } = null!;
    public StrataNode B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Backends = await ClusterBackends.CreateAsync();
        A = new StrataNode(Backends, "a");
        B = new StrataNode(Backends, "b");
        // Both at once: schema migration and the root token must be safe when nodes race.
        await Task.WhenAll(A.StartAsync(), B.StartAsync());
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Backends.DisposeAsync();
    }
}
