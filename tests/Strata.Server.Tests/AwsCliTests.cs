using System.Security.Cryptography;
using System.Text.Json;

namespace Strata.Server.Tests;

/// <summary>End-to-end with the AWS CLI v2 from Debian, which sends Content-MD5 and aws-chunked bodies as it does against AWS.</summary>
public sealed class AwsCliTests(ServerFixture fx) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _tmp = Directory.CreateTempSubdirectory("strata-cli-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    private AwsCli Cli() => new(fx.Endpoint, _tmp, fx.Token);

    private string WriteFile(string name, int size, int seed)
    {
        var b = new byte[size];
        new Random(seed).NextBytes(b);
        var path = Path.Combine(_tmp, name);
        File.WriteAllBytes(path, b);
        return path;
    }

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public async Task CopyUpDownListAndOldVersion()
    {
        var cli = Cli();
        var bucket = ServerFixture.NewBucket();
        await cli.OkAsync("s3", "mb", $"s3://{bucket}");
        var v1 = WriteFile("v1.bin", 3_000_000, 1);
        var v2 = WriteFile("v2.bin", 1_000, 2);
        await cli.OkAsync("s3", "cp", v1, $"s3://{bucket}/data/a file.bin");
        await cli.OkAsync("s3", "cp", v2, $"s3://{bucket}/data/a file.bin");
        var back = Path.Combine(_tmp, "back.bin");
        await cli.OkAsync("s3", "cp", $"s3://{bucket}/data/a file.bin", back);
        Assert.Equal(Sha(v2), Sha(back));

        var old = Path.Combine(_tmp, "old.bin");
        await cli.OkAsync("s3api", "get-object", "--bucket", bucket, "--key", "data/a file.bin", "--version-id", "master^", old);
        Assert.Equal(Sha(v1), Sha(old));

        var ls = await cli.OkAsync("s3", "ls", $"s3://{bucket}/data/");
        Assert.Contains("a file.bin", ls);
        var json = await cli.OkAsync("s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "data/");
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(1000, doc.RootElement.GetProperty("Contents")[0].GetProperty("Size").GetInt32());

        await cli.OkAsync("s3", "rm", $"s3://{bucket}/data/a file.bin");
        var (code, _, err) = await cli.RunAsync("s3api", "head-object", "--bucket", bucket, "--key", "data/a file.bin");
        Assert.NotEqual(0, code);
        Assert.Contains("404", err);
    }

    [Fact]
    public async Task MultipartUploadAndServerSideCopy()
    {
        var cli = Cli();
        var bucket = ServerFixture.NewBucket();
        var other = ServerFixture.NewBucket();
        await cli.OkAsync("s3", "mb", $"s3://{bucket}");
        await cli.OkAsync("s3", "mb", $"s3://{other}");
        // Above the CLI's 8 MiB threshold: CreateMultipartUpload, UploadPart x3, Complete.
        var big = WriteFile("big.bin", 20 * 1024 * 1024 + 17, 3);
        await cli.OkAsync("s3", "cp", "--no-progress", big, $"s3://{bucket}/big.bin");
        var head = await cli.OkAsync("s3api", "head-object", "--bucket", bucket, "--key", "big.bin");
        Assert.Contains("-3\\\"", head);
        // s3 -> s3 of a multipart-sized object uses UploadPartCopy.
        var chunks = MultipartTests.DirSize(Path.Combine(fx.DataDir, "chunks"));
        await cli.OkAsync("s3", "cp", "--no-progress", $"s3://{bucket}/big.bin", $"s3://{other}/copied.bin");
        var back = Path.Combine(_tmp, "copied.bin");
        await cli.OkAsync("s3", "cp", "--no-progress", $"s3://{other}/copied.bin", back);
        Assert.Equal(Sha(big), Sha(back));
        // Only the partial chunks at part edges may be new; the bulk is shared.
        Assert.True(MultipartTests.DirSize(Path.Combine(fx.DataDir, "chunks")) - chunks < 10 * 1024 * 1024);
    }
}
