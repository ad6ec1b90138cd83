using System.Text.Json;
using Strata.Cli;

namespace Strata.Server.Tests;

/// <summary>The strata command, run in-process against a real server.</summary>
public sealed class CliTests(ServerFixture fx) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _tmp = Directory.CreateTempSubdirectory("strata-cli-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    private async Task<(int Code, string Out)> RunAsync(params string[] args)
    {
        var w = new StringWriter();
        var all = args.Concat(["--endpoint", fx.Endpoint, "--admin", fx.Server.AdminEndpoint, "--token", fx.Token]).ToArray();
        var code = await StrataCli.RunAsync(all, CliConsole.ToWriter(w), CancellationToken.None);
        return (code, w.ToString());
    }

    private async Task<string> OkAsync(params string[] args)
    {
        var (code, output) = await RunAsync(args);
        Assert.True(code == 0, $"strata {string.Join(' ', args)} exited {code}: {output}");
        return output;
    }

    private string Local(string name, string content)
    {
        var p = Path.Combine(_tmp, name);
        File.WriteAllText(p, content);
        return p;
    }

    [Fact]
    public async Task GcFreesADeletedBranchAndFsckSaysClean()
    {
        var repo = "gcli" + Guid.NewGuid().ToString("N")[..10];
        await OkAsync("repo", "create", repo);
        await OkAsync("file", "put", $"{repo}@master:/keep.txt", Local("keep.txt", "kept"));
        await OkAsync("branch", "create", $"{repo}@scratch");
        await OkAsync("file", "put", $"{repo}@scratch:/junk.bin", Local("junk.bin", new string('j', 300_000) + Guid.NewGuid()));
        await OkAsync("branch", "delete", $"{repo}@scratch");
        var gc = JsonDocument.Parse(await OkAsync("gc", "--grace", "0s", "--json")).RootElement;
        Assert.True(gc.GetProperty("chunksDeleted").GetInt64() >= 1, gc.ToString());
        Assert.True(gc.GetProperty("chunkBytesFreed").GetInt64() >= 300_000, gc.ToString());
        Assert.Contains("freed", await OkAsync("gc", "--grace", "0s"));
        Assert.Contains("clean", await OkAsync("fsck"));
        var fsck = JsonDocument.Parse(await OkAsync("fsck", "--quick", "--json")).RootElement;
        Assert.Equal(0, fsck.GetProperty("problemCount").GetInt64());
        Assert.True(fsck.GetProperty("chunks").GetInt64() >= 1);
        var (code, output) = await RunAsync("gc", "--grace", "soon");
        Assert.Equal(1, code);
        Assert.Contains("--grace takes a duration", output);
        Assert.Contains("keep all history", await OkAsync("repo", "retention", repo));
        var ret = await OkAsync("repo", "retention", repo, "--keep-last", "1");
        Assert.Contains("keep the last 1 commits", ret);
        Assert.Contains("master", ret);
        var back = Path.Combine(_tmp, "back.txt");
        await OkAsync("file", "get", $"{repo}@master:/keep.txt", back);
        Assert.Equal("kept", File.ReadAllText(back));
    }

    [Fact]
    public async Task PachctlStyleWorkflow()
    {
        var repo = "cli" + Guid.NewGuid().ToString("N")[..10];
        Assert.Contains("created repo", await OkAsync("repo", "create", repo));
        Assert.Contains(repo, await OkAsync("repo", "list"));
        await OkAsync("file", "put", $"{repo}@master:/data/a.csv", Local("a1.csv", "v1"));
        await OkAsync("file", "put", $"{repo}@master:/data/a.csv", Local("a2.csv", "version two"));

        // A started commit hides its writes until finished.
        var started = JsonDocument.Parse(await OkAsync("commit", "start", $"{repo}@master", "--json")).RootElement.GetProperty("id").GetString();
        await OkAsync("file", "put", $"{repo}@master:/data/b.csv", Local("b.csv", "bee"));
        var listing = JsonDocument.Parse(await OkAsync("file", "list", $"{repo}@master:/data", "--json")).RootElement;
        Assert.Equal(["data/a.csv"], listing.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()));
        var finished = JsonDocument.Parse(await OkAsync("commit", "finish", $"{repo}@master", "-m", "add b", "--json")).RootElement;
        Assert.Equal(started, finished.GetProperty("id").GetString());
        Assert.Contains("data/b.csv", await OkAsync("file", "list", $"{repo}@master:/data"));

        var history = JsonDocument.Parse(await OkAsync("file", "history", $"{repo}@master:/data/a.csv", "--json")).RootElement;
        Assert.Equal(2, history.GetArrayLength());
        var diff = await OkAsync("diff", $"{repo}@master^^", $"{repo}@master");
        Assert.Contains("modified", diff);
        Assert.Contains("added", diff);

        var got = Path.Combine(_tmp, "old.csv");
        await OkAsync("file", "get", $"{repo}@master^^:/data/a.csv", got);
        Assert.Equal("v1", File.ReadAllText(got));
        var commits = JsonDocument.Parse(await OkAsync("commit", "list", $"{repo}@master", "--json")).RootElement.GetProperty("commits");
        Assert.Equal(3, commits.GetArrayLength());
        Assert.Contains("add b", await OkAsync("commit", "inspect", $"{repo}@master"));

        await OkAsync("branch", "create", $"{repo}@old", "--from", "master.1");
        Assert.Contains("old", await OkAsync("branch", "list", repo));
        await OkAsync("repo", "delete", repo);
    }

    [Fact]
    public async Task ErrorsAreClearWithExitCodeOne()
    {
        var (code, output) = await RunAsync("repo", "inspect", "nosuchrepo" + Guid.NewGuid().ToString("N")[..6]);
        Assert.Equal(1, code);
        Assert.Contains("does not exist", output);
        (code, output) = await RunAsync("file", "get", "not-a-ref");
        Assert.Equal(1, code);
        Assert.Contains("repo@ref", output);
    }
}
