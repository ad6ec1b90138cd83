using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Strata.Server.Tests;

/// <summary>./install.sh gives a strata on PATH that prints its version and commit and talks to a server.</summary>
public sealed class InstallTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Strata.slnx"))) return d.FullName;
        throw new InvalidOperationException("no Strata.slnx above " + AppContext.BaseDirectory);
    }

    private static async Task<(int Code, string Out)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task InstalledStrataPrintsItsVersionAndCommitAndListsRepos()
    {
        var prefix = Directory.CreateTempSubdirectory("strata-install-").FullName;
        try
        {
            var (code, output) = await RunAsync(Path.Combine(RepoRoot(), "install.sh"), prefix);
            Assert.True(code == 0, output);
            var strata = Path.Combine(prefix, "bin", "strata");
            var (vcode, version) = await RunAsync(strata, "--version");
            Assert.Equal(0, vcode);
            Assert.Matches(new Regex(@"^\d+\.\d+\.\d+\+[0-9a-f]{7,40}\s*$"), version); // version + commit

            var repo = "inst" + Guid.NewGuid().ToString("N")[..8];
            var common = new[] { "--endpoint", fx.Endpoint, "--admin", fx.Server.AdminEndpoint, "--token", fx.Token };
            Assert.Equal(0, (await RunAsync(strata, ["repo", "create", repo, .. common])).Code);
            var (lcode, list) = await RunAsync(strata, ["repo", "list", "--json", .. common]);
            Assert.Equal(0, lcode);
            Assert.Contains(repo, list);
        }
        finally
        {
            Directory.Delete(prefix, recursive: true);
        }
    }
}
