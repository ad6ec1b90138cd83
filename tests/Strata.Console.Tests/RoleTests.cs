using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Strata.Console.Tests;

/// <summary>A non-admin user in the console: what each repo role shows, and that the POSTs enforce it.</summary>
public sealed class RoleTests(ConsoleFixture f) : IClassFixture<ConsoleFixture>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task GrantAsync(HttpClient admin, string role) =>
        (await admin.PutAsync("/api/auth/grants/alice/rolea", Json($"{{\"role\":\"{role}\"}}"))).EnsureSuccessStatusCode();

    /// <summary>A POST with the page's cookie, as a same-origin form would send it; redirects not followed.</summary>
    private async Task<int> PostAsync(IPage page, string path, Action<APIRequestContextOptions> body)
    {
        var o = new APIRequestContextOptions
        {
            Headers = new Dictionary<string, string> { ["Origin"] = f.ConsoleUrl },
            MaxRedirects = 0,
        };
        body(o);
        return (await page.APIRequest.PostAsync(f.ConsoleUrl + path, o)).Status;
    }

    private static async Task<string[]> BranchesAsync(HttpClient admin) =>
        (await admin.GetFromJsonAsync<JsonElement>("/api/repos/rolea/branches")).EnumerateArray()
            .Select(b => b.GetProperty("name").GetString()!).ToArray();

    [Fact]
    public async Task A_reader_sees_only_its_repos_and_forms_and_its_POSTs_need_writer_and_owner()
    {
        using var admin = f.Admin();
        foreach (var repo in new[] { "rolea", "roleb" })
        {
            (await admin.PostAsync("/api/repos", Json($"{{\"name\":\"{repo}\"}}"))).EnsureSuccessStatusCode();
            (await admin.PutAsync($"/api/repos/{repo}/content?branch=master&path=docs/a.txt", new StringContent($"hello {repo}"))).EnsureSuccessStatusCode();
        }
        (await admin.PostAsync("/api/auth/users", Json("{\"name\":\"alice\",\"admin\":false}"))).EnsureSuccessStatusCode();
        var made = await (await admin.PostAsync("/api/auth/users/alice/tokens", null)).Content.ReadFromJsonAsync<JsonElement>();
        var token = made.GetProperty("token").GetString()!;
        await GrantAsync(admin, "reader");

        var ctx = await f.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = f.ConsoleUrl, ViewportSize = new() { Width = 1200, Height = 800 } });
        ctx.SetDefaultTimeout(15_000);
        var page = await ctx.NewPageAsync();
        await page.GotoAsync("/");
        await page.FillAsync("#token", token);
        await page.ClickAsync("button:text('Log in')");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Repos");

        // The list: A, not B; no create-repo form (POST /api/repos is admin-only).
        await Expect(page.Locator("tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("tbody a")).ToHaveTextAsync("rolea");
        await Expect(page.Locator("main")).Not.ToContainTextAsync("roleb");
        await Expect(page.Locator("#new-repo")).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleFixture.ScreenshotDir(), "repos-reader.png"), FullPage = true });

        // A reader browses and views, with no upload box nor commit or branch forms.
        await page.GotoAsync("/repos/rolea/file?at=master&path=docs/a.txt");
        await Expect(page.Locator("pre.text")).ToContainTextAsync("hello rolea");
        await page.GotoAsync("/repos/rolea/files?at=master&path=docs/");
        await Expect(page.Locator("table a", new() { HasTextString = "a.txt" })).ToBeVisibleAsync();
        await Expect(page.Locator("#upload")).ToHaveCountAsync(0);
        await page.GotoAsync("/repos/rolea");
        await Expect(page.Locator("h1")).ToHaveTextAsync("rolea");
        await Expect(page.Locator("main")).ToContainTextAsync("No open commit");
        await Expect(page.Locator("button:text('Start commit')")).ToHaveCountAsync(0);
        await Expect(page.Locator("#nb-name")).ToHaveCountAsync(0);
        await Expect(page.Locator("button:text('Delete')")).ToHaveCountAsync(0);

        // B, by URL: 403 with a page saying why.
        var b = await page.GotoAsync("/repos/roleb");
        Assert.Equal(403, b!.Status);
        await Expect(page.Locator("[role=alert]")).ToHaveTextAsync("User alice needs the reader role on repo roleb.");
        Assert.Equal(403, (await page.GotoAsync("/repos/roleb/file?at=master&path=docs/a.txt"))!.Status);

        // The POSTs themselves refuse a reader, and nothing changes.
        Task<int> Upload(string name) => PostAsync(page, $"/repos/rolea/upload?branch=master&path=docs/{name}", o => o.DataByte = Encoding.UTF8.GetBytes("sneaky"));
        Task<int> Branch(string name) => PostAsync(page, "/repos/rolea/branches", o => o.Form = page.APIRequest.CreateFormData().Set("name", name).Set("from", "master"));
        Assert.Equal(403, await Upload("evil.txt"));
        Assert.Equal(403, await Branch("hack"));
        Assert.Equal(403, await PostAsync(page, "/repos/rolea/branches/master/commit/start", _ => { }));
        Assert.Equal(403, await PostAsync(page, "/repos/rolea/branches/master/delete", _ => { }));
        Assert.Equal(403, await PostAsync(page, "/repos", o => o.Form = page.APIRequest.CreateFormData().Set("name", "mine")));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/repos/rolea/content?at=master&path=docs/evil.txt")).StatusCode);
        Assert.Equal(["master"], await BranchesAsync(admin));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/repos/rolea/branches/master/commit")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/repos/mine")).StatusCode);

        // Writer: the upload box appears and works; commit buttons too; branches stay refused.
        await GrantAsync(admin, "writer");
        await page.GotoAsync("/repos/rolea/files?at=master&path=docs/");
        await Expect(page.Locator("#upload h2")).ToHaveTextAsync("Upload to master:/docs/");
        await page.SetInputFilesAsync("#upload-input", new FilePayload { Name = "new.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("by alice") });
        await Expect(page.Locator("table a", new() { HasTextString = "new.txt" })).ToBeVisibleAsync();
        Assert.Equal("by alice", await admin.GetStringAsync("/api/repos/rolea/content?at=master&path=docs/new.txt"));
        await page.GotoAsync("/repos/rolea");
        await Expect(page.Locator("button:text('Start commit')")).ToBeVisibleAsync();
        await Expect(page.Locator("#nb-name")).ToHaveCountAsync(0);
        Assert.Equal(403, await Branch("hack"));
        Assert.Equal(["master"], await BranchesAsync(admin));

        // Owner: the branch form appears and creates the branch.
        await GrantAsync(admin, "owner");
        await page.GotoAsync("/repos/rolea");
        await page.FillAsync("#nb-name", "feature");
        await page.ClickAsync("button:text('Create branch')");
        await Expect(page.Locator("#branch")).ToHaveValueAsync("feature");
        await Expect(page.Locator("button:text('Delete')")).ToHaveCountAsync(2);
        Assert.Equal(["feature", "master"], (await BranchesAsync(admin)).Order(StringComparer.Ordinal));
        // Still nothing on B.
        Assert.Equal(403, (await page.GotoAsync("/repos/roleb"))!.Status);
        await ctx.CloseAsync();
    }
}
