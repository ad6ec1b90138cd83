using System.Net;
using System.Text.RegularExpressions;

namespace Strata.Console.Tests;

/// <summary>The console without a browser: paging of a large directory, and the auth and CSRF checks.</summary>
public sealed partial class HttpTests(ConsoleFixture f) : IClassFixture<ConsoleFixture>
{
    [GeneratedRegex("href=\"/repos/big/file\\?at=master&amp;path=dir%2F(f\\d+\\.txt)\"")]
    private static partial Regex FileLink();

    [GeneratedRegex("id=\"next-page\" href=\"([^\"]+)\"")]
    private static partial Regex NextLink();

    [Fact]
    public async Task A_directory_of_2500_files_pages_by_1000_with_a_working_next_link()
    {
        using var admin = f.Admin();
        (await admin.PostAsync("/api/repos", new StringContent("{\"name\":\"big\"}", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        // Concurrent writers to a branch are grouped into few transactions: 2,500 commits stay quick.
        await Parallel.ForEachAsync(Enumerable.Range(0, 2500), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            var r = await admin.PutAsync($"/api/repos/big/content?branch=master&path=dir/f{i:D4}.txt", new StringContent($"file {i}"), ct);
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        });
        (await admin.PutAsync("/api/repos/big/content?branch=master&path=other.txt", new StringContent("x"))).EnsureSuccessStatusCode();

        using var http = await f.LoggedInAsync();
        var seen = new List<string>();
        var url = "/repos/big/files?at=master&path=dir/";
        var pages = new List<int>();
        while (url is not null)
        {
            var html = await http.GetStringAsync(url);
            var names = FileLink().Matches(html).Select(m => m.Groups[1].Value).ToList();
            pages.Add(names.Count);
            seen.AddRange(names);
            Assert.DoesNotContain("path=other.txt", html); // only this directory
            url = NextLink().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;
            Assert.True(pages.Count <= 3, "more pages than expected");
        }
        Assert.Equal([1000, 1000, 500], pages);
        Assert.Equal(Enumerable.Range(0, 2500).Select(i => $"f{i:D4}.txt"), seen);

        // The root shows the directory as one entry, and the other file.
        var root = await http.GetStringAsync("/repos/big/files?at=master&path=");
        Assert.Contains(">dir/</a>", root);
        Assert.Contains(">other.txt</a>", root);
        Assert.DoesNotContain("next-page", root);
    }

    [Fact]
    public async Task Pages_need_a_login_and_posts_from_another_site_are_refused()
    {
        using var anon = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(f.ConsoleUrl) };
        var r = await anon.GetAsync("/repos/x");
        Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        Assert.Equal("/login?next=%2Frepos%2Fx", r.Headers.Location!.OriginalString);
        var bad = await anon.PostAsync("/login", new FormUrlEncodedContent([new("token", "nope")]));
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Contains("That token is not valid.", await bad.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await anon.PostAsync("/repos", new FormUrlEncodedContent([new("name", "sneaky")]))).StatusCode);

        using var http = await f.LoggedInAsync();
        var cross = new HttpRequestMessage(HttpMethod.Post, "/repos") { Content = new FormUrlEncodedContent([new("name", "csrf")]) };
        cross.Headers.Add("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(cross)).StatusCode);
        var same = new HttpRequestMessage(HttpMethod.Post, "/repos") { Content = new FormUrlEncodedContent([new("name", "samesite")]) };
        same.Headers.Add("Origin", f.ConsoleUrl);
        var ok = await http.SendAsync(same);
        Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);
        Assert.Equal("/repos/samesite", ok.Headers.Location!.OriginalString);
        Assert.DoesNotContain(">csrf<", await http.GetStringAsync("/"));

        // The admin API is untouched: still Bearer-only, JSON.
        Assert.Equal(HttpStatusCode.Unauthorized, (await anon.GetAsync("/api/repos")).StatusCode);
    }
}
