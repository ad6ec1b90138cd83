using System.Net;
using Strata.Server;
using Strata.Server.WebConsole;

namespace Strata.Console.Tests;

/// <summary>The console's own algorithms (line diff, CSV), and the console with auth off.</summary>
public sealed class UnitTests
{
    private static (string[] Old, string[] New) Apply(List<LineDiff.Line> edits) =>
        (edits.Where(e => e.Op != LineDiff.Op.Add).Select(e => e.Text).ToArray(),
         edits.Where(e => e.Op != LineDiff.Op.Del).Select(e => e.Text).ToArray());

    [Fact]
    public void Line_diff_is_minimal_and_rebuilds_both_sides()
    {
        var edits = LineDiff.Diff(["a", "b", "c", "d"], ["a", "x", "c", "d", "e"])!;
        Assert.Equal(["  a", "- b", "+ x", "  c", "  d", "+ e"],
            edits.Select(e => (e.Op switch { LineDiff.Op.Add => "+ ", LineDiff.Op.Del => "- ", _ => "  " }) + e.Text));

        var rnd = new Random(7);
        for (var i = 0; i < 300; i++)
        {
            var a = Enumerable.Range(0, rnd.Next(0, 30)).Select(_ => rnd.Next(0, 5).ToString()).ToArray();
            var b = Enumerable.Range(0, rnd.Next(0, 30)).Select(_ => rnd.Next(0, 5).ToString()).ToArray();
            var d = LineDiff.Diff(a, b)!;
            var (oldSide, newSide) = Apply(d);
            Assert.Equal(a, oldSide);
            Assert.Equal(b, newSide);
            // Minimal: as many unchanged lines as the longest common subsequence.
            Assert.Equal(Lcs(a, b), d.Count(e => e.Op == LineDiff.Op.Same));
        }
    }

    [Fact]
    public void Line_diff_gives_up_past_its_edit_budget()
    {
        var a = Enumerable.Range(0, 5000).Select(i => "a" + i).ToArray();
        var b = Enumerable.Range(0, 5000).Select(i => "b" + i).ToArray();
        Assert.Null(LineDiff.Diff(a, b, maxEdits: 1000));
        Assert.NotNull(LineDiff.Diff(a, a, maxEdits: 1000));
    }

    private static int Lcs(string[] a, string[] b)
    {
        var t = new int[a.Length + 1, b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
                t[i, j] = a[i - 1] == b[j - 1] ? t[i - 1, j - 1] + 1 : Math.Max(t[i - 1, j], t[i, j - 1]);
        return t[a.Length, b.Length];
    }

    [Fact]
    public void Csv_quotes_separators_and_line_ends()
    {
        var rows = Preview.ParseCsv("h1,h2\r\n\"a,b\",\"say \"\"hi\"\"\"\n\"multi\nline\",x", ',', 100);
        Assert.Equal(3, rows.Count);
        Assert.Equal(["a,b", "say \"hi\""], rows[1]);
        Assert.Equal(["multi\nline", "x"], rows[2]);
    }

    [Fact]
    public async Task With_auth_off_no_login_is_needed()
    {
        var dir = Directory.CreateTempSubdirectory("strata-console-noauth-").FullName;
        var server = await StrataServer.CreateAsync(new ServerOptions { DataDir = dir, Address = "127.0.0.1", Port = 0, AdminPort = 0, Quiet = true, NoAuth = true });
        try
        {
            await server.StartAsync();
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(server.AdminEndpoint) };
            var home = await http.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, home.StatusCode);
            var html = await home.Content.ReadAsStringAsync();
            Assert.Contains("<h1>Repos</h1>", html);
            Assert.DoesNotContain("Log out", html);
            // With auth off everything is allowed: the admin-only and owner-only forms work.
            Assert.Contains("id=\"new-repo\"", html);
            Assert.Equal(HttpStatusCode.Redirect, (await http.PostAsync("/repos", new FormUrlEncodedContent([new("name", "open")]))).StatusCode);
            Assert.Contains("id=\"nb-name\"", await http.GetStringAsync("/repos/open"));
            Assert.Equal(HttpStatusCode.Redirect, (await http.PostAsync("/repos/open/branches", new FormUrlEncodedContent([new("name", "dev"), new("from", "")]))).StatusCode);
            Assert.Contains("?branch=dev", await http.GetStringAsync("/repos/open"));
            Assert.Equal(HttpStatusCode.Redirect, (await http.GetAsync("/login")).StatusCode);
        }
        finally
        {
            await server.DisposeAsync();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
