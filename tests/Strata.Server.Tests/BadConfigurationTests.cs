using System.Diagnostics;

namespace Strata.Server.Tests;

/// <summary>
/// `strata serve` with a store it cannot use: one line on stderr naming the problem, exit code 2,
/// never a stack trace. Runs the real command as a process against the test PostgreSQL and radosgw.
/// </summary>
public sealed class BadConfigurationTests : IAsyncLifetime
{
    private ClusterBackends _b = null!;
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-badconf-").FullName;

    public async Task InitializeAsync() => _b = await ClusterBackends.CreateAsync();

    public async Task DisposeAsync()
    {
        await _b.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static int ClosedPort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    private async Task<string> RefusedAsync(string metadata, string chunks, string? accessKey = null, string? secretKey = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { StrataNode.StrataDll, "serve", "--data-dir", _dir, "--port", "0", "--admin-port", "0", "--metadata", metadata, "--chunks", chunks },
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment["STRATA_CHUNKS_ACCESS_KEY"] = accessKey ?? _b.S3AccessKey;
        psi.Environment["STRATA_CHUNKS_SECRET_KEY"] = secretKey ?? _b.S3SecretKey;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await p.WaitForExitAsync(timeout.Token);
        Assert.True(p.ExitCode == 2, $"exit {p.ExitCode}; stderr: {stderr}; stdout: {await stdout}");
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got: {stderr}");
        Assert.DoesNotContain("   at ", stderr);
        Assert.StartsWith("strata: ", lines[0]);
        return lines[0];
    }

    [Fact]
    public async Task UnreachablePostgres() =>
        Assert.Contains("connection refused", await RefusedAsync($"postgres://postgres@127.0.0.1:{ClosedPort()}/strata", _b.ChunksUrl));

    [Fact]
    public async Task WrongPostgresPassword()
    {
        // tests/services/start.sh makes role strata_pw authenticate with a password; the storage tests create it.
        var admin = new Npgsql.NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("STRATA_TEST_POSTGRES"));
        await using (var c = new Npgsql.NpgsqlConnection(admin.ConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand(
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'strata_pw') THEN CREATE ROLE strata_pw LOGIN PASSWORD 'right-password'; END IF; END $$", c);
            await cmd.ExecuteNonQueryAsync();
        }
        var line = await RefusedAsync($"postgres://strata_pw:wrong@{admin.Host}:{admin.Port}/postgres", _b.ChunksUrl);
        Assert.Contains("password authentication failed", line);
        Assert.DoesNotContain(":wrong@", line);
    }

    [Fact]
    public async Task MissingBucket() =>
        Assert.Contains("does not exist", await RefusedAsync(_b.MetadataUrl, _b.ChunksUrl.Replace("s3://", "s3://no-such-bucket-x", StringComparison.Ordinal)));

    [Fact]
    public async Task WrongS3Credentials() =>
        Assert.Contains("credentials were refused", await RefusedAsync(_b.MetadataUrl, _b.ChunksUrl, secretKey: "not-the-secret"));

    [Theory]
    [InlineData("postgres://u@host:port/db", "")]
    [InlineData("mysql://u@host/db", "")]
    [InlineData("", "s3://bucket?endpoint=notaurl")]
    [InlineData("", "gs://bucket")]
    public async Task UrlsThatDoNotParse(string metadata, string chunks) =>
        await RefusedAsync(metadata.Length > 0 ? metadata : _b.MetadataUrl, chunks.Length > 0 ? chunks : _b.ChunksUrl);
}
