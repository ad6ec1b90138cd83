using System.Text.Json;
using System.Text.RegularExpressions;
using Strata.Cli;

namespace Strata.Server.Tests;

/// <summary>strata auth, run in-process against a real server.</summary>
public sealed partial class AuthCliTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [GeneratedRegex("\\b[0-9a-f]{40}\\b")]
    private static partial Regex TokenPattern();

    private static async Task<(int Code, string Out)> RunAsync(StrataServer server, string token, params string[] args)
    {
        var w = new StringWriter();
        var all = args.Concat(["--endpoint", server.Endpoint, "--admin", server.AdminEndpoint, "--token", token]).ToArray();
        var code = await StrataCli.RunAsync(all, CliConsole.ToWriter(w), CancellationToken.None);
        return (code, w.ToString());
    }

    private static async Task<string> OkAsync(StrataServer server, string token, params string[] args)
    {
        var (code, output) = await RunAsync(server, token, args);
        Assert.True(code == 0, $"strata {string.Join(' ', args)} exited {code}: {output}");
        return output;
    }

    private Task<string> RootAsync(params string[] args) => OkAsync(fx.Server, fx.Token, args);

    [Fact]
    public async Task UsersTokensAndGrantsFromTheCommandLine()
    {
        var alice = AuthUsers.NewName("alice");
        var repo = AuthUsers.NewName("images");
        await RootAsync("repo", "create", repo);
        Assert.Contains($"created user {alice}", await RootAsync("auth", "user", "create", alice));
        var created = await RootAsync("auth", "token", "create", alice);
        var token = TokenPattern().Match(created).Value;
        Assert.Equal(40, token.Length);
        Assert.Contains($"{alice} is reader on {repo}", await RootAsync("auth", "grant", alice, repo, "reader"));

        var listed = await RootAsync("auth", "token", "list", alice);
        Assert.DoesNotContain(token, listed);
        Assert.Contains("never", listed);
        var tokens = JsonDocument.Parse(await RootAsync("auth", "token", "list", alice, "--json")).RootElement;
        var id = Assert.Single(tokens.EnumerateArray()).GetProperty("id").GetString()!;

        var who = await OkAsync(fx.Server, token, "auth", "whoami");
        Assert.Contains(alice, who);
        Assert.Contains(id, who);
        Assert.Contains(repo, who);
        Assert.Contains("reader", who);
        Assert.Contains("root (admin)", await RootAsync("auth", "whoami"));
        // A reader may list its repo's files but not create a branch or users.
        await OkAsync(fx.Server, token, "file", "list", $"{repo}@master:/");
        var (code, output) = await RunAsync(fx.Server, token, "branch", "create", $"{repo}@dev");
        Assert.Equal(1, code);
        Assert.Contains("403", output);
        Assert.Equal(1, (await RunAsync(fx.Server, token, "auth", "user", "list")).Code);

        Assert.Contains(alice, await RootAsync("auth", "user", "list"));
        var boss = AuthUsers.NewName("boss");
        await RootAsync("auth", "user", "create", boss, "--admin-user");
        Assert.Contains(JsonDocument.Parse(await RootAsync("auth", "user", "list", "--json")).RootElement.EnumerateArray(),
            u => u.GetProperty("name").GetString() == boss && u.GetProperty("admin").GetBoolean());
        Assert.Contains("reader", await RootAsync("auth", "grants", "--user", alice));
        Assert.Contains("revoked", await RootAsync("auth", "token", "revoke", id));
        (code, output) = await RunAsync(fx.Server, token, "auth", "whoami");
        Assert.Equal(1, code);
        Assert.Contains("401", output);
        var audit = await RootAsync("auth", "audit", "--limit", "1000");
        Assert.Contains("token.revoke", audit);
        Assert.DoesNotContain(token, audit);
    }

    [Fact]
    public async Task RotateRootReplacesTheRootTokenAndItsFile()
    {
        // A server of its own: the shared one's root token must keep working for the other tests.
        var dir = Directory.CreateTempSubdirectory("strata-rotate-").FullName;
        try
        {
            await using (var server = await StrataServer.CreateAsync(new ServerOptions { DataDir = dir, Address = "127.0.0.1", Port = 0, AdminPort = 0, Quiet = true }))
            {
                await server.StartAsync();
                var old = server.RootToken;
                var output = await OkAsync(server, old, "auth", "rotate-root");
                var fresh = TokenPattern().Match(output).Value;
                Assert.Equal(40, fresh.Length);
                Assert.NotEqual(old, fresh);
                Assert.Equal(fresh, (await File.ReadAllTextAsync(Path.Combine(dir, "root-token"))).Trim());
                Assert.Equal(1, (await RunAsync(server, old, "auth", "whoami")).Code);
                Assert.Contains("root (admin)", await OkAsync(server, fresh, "auth", "whoami"));
            }
            // After a restart the rewritten file is the root token.
            await using (var again = await StrataServer.CreateAsync(new ServerOptions { DataDir = dir, Address = "127.0.0.1", Port = 0, AdminPort = 0, Quiet = true }))
            {
                await again.StartAsync();
                Assert.Equal((await File.ReadAllTextAsync(Path.Combine(dir, "root-token"))).Trim(), again.RootToken);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
