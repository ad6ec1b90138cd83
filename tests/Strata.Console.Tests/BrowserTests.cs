using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Strata.Console.Tests;

/// <summary>Drives the console in headless Chromium as a person would, asserting what each page shows.</summary>
public sealed class BrowserTests(ConsoleFixture f) : IClassFixture<ConsoleFixture>
{
    // A 2x2 red PNG, so that the image preview has something real to decode.
    private static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==");

    private async Task<IPage> NewPageAsync()
    {
        var ctx = await f.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = f.ConsoleUrl, ViewportSize = new() { Width = 1200, Height = 800 } });
        ctx.SetDefaultTimeout(15_000);
        return await ctx.NewPageAsync();
    }

    private static Task ShotAsync(IPage page, string view) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleFixture.ScreenshotDir(), view + ".png"), FullPage = true });

    private async Task LoginAsync(IPage page)
    {
        await page.GotoAsync("/");
        await page.FillAsync("#token", f.Server.RootToken);
        await page.ClickAsync("button:text('Log in')");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Repos");
    }

    /// <summary>
    /// Runs an upload and waits until the widget has reloaded the listing: a navigation of ours
    /// started before that reload would be interrupted by it.
    /// </summary>
    private static async Task UploadAndReloadAsync(IPage page, Func<Task> upload)
    {
        // A marker in the current document: it is gone once the reloaded one has replaced it.
        await page.EvaluateAsync("() => document.body.appendChild(document.createElement('i')).id = 'stale'");
        var response = page.WaitForResponseAsync(r => r.Url.Contains("/upload?"));
        await upload();
        Assert.Equal(201, (await response).Status);
        await Expect(page.Locator("#stale")).ToHaveCountAsync(0);
        await page.WaitForLoadStateAsync(LoadState.Load);
    }

    [Fact]
    public async Task Login_refuses_a_wrong_token_and_accepts_the_root_token()
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/repos/whatever/commits?branch=master");
        await Expect(page).ToHaveURLAsync(new Regex("/login\\?next="));
        await ShotAsync(page, "login");
        await page.FillAsync("#token", "not-a-token");
        await page.ClickAsync("button:text('Log in')");
        await Expect(page.Locator("[role=alert]")).ToHaveTextAsync("That token is not valid.");
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new Regex("/login"));
        await LoginAsync(page);
        await page.ClickAsync("button:text('Log out')");
        await Expect(page).ToHaveURLAsync(new Regex("/login$"));
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new Regex("/login"));
    }

    [Fact]
    public async Task Upload_browse_preview_history_diff_branch_and_explicit_commit()
    {
        var page = await NewPageAsync();
        await LoginAsync(page);

        // Create a repo.
        await page.FillAsync("#new-repo", "images");
        await page.ClickAsync("button:text('Create repo')");
        await Expect(page.Locator("h1")).ToHaveTextAsync("images");
        await Expect(page.Locator("main")).ToContainTextAsync("No commits yet.");

        // Upload a first version through the upload widget's file input.
        await page.GotoAsync("/repos/images/files?at=master&path=docs/");
        await Expect(page.Locator("#upload h2")).ToHaveTextAsync("Upload to master:/docs/");
        await page.SetInputFilesAsync("#upload-input", new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("line1\nline2\nline3\n") });
        // The widget reloads the listing when the upload is done.
        await Expect(page.Locator("table a", new() { HasTextString = "notes.txt" })).ToBeVisibleAsync();

        // A second version by drag and drop onto the drop zone.
        await UploadAndReloadAsync(page, () => page.EvaluateAsync("""
            text => {
              const dt = new DataTransfer();
              dt.items.add(new File([text], "notes.txt", { type: "text/plain" }));
              document.getElementById("dropzone").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
            }
            """, "line1\nline2 changed\nline3\n"));

        // Browse at master: the new content; breadcrumbs lead back to the directory.
        await page.GotoAsync("/repos/images/files?at=master&path=docs/");
        await Expect(page.Locator("nav.crumbs")).ToContainTextAsync("images@master / docs /");
        await Expect(page.Locator("tbody tr")).ToHaveCountAsync(1);
        await ShotAsync(page, "files");
        await page.ClickAsync("table a:text('notes.txt')");
        await Expect(page.Locator("pre.text")).ToContainTextAsync("line2 changed");
        await ShotAsync(page, "file-text");

        // The same path at master^ shows the first version.
        await page.GotoAsync("/repos/images/file?at=master%5E&path=docs/notes.txt");
        await Expect(page.Locator("pre.text")).ToContainTextAsync("line2");
        await Expect(page.Locator("pre.text")).Not.ToContainTextAsync("changed");
        await page.GotoAsync("/repos/images/files?at=master%5E&path=docs/");
        await Expect(page.Locator("nav.crumbs")).ToContainTextAsync("images@master^ / docs /");

        // History: two commits wrote it.
        await page.GotoAsync("/repos/images/file?at=master&path=docs/notes.txt");
        await page.ClickAsync("a:text('History')");
        await Expect(page.Locator("tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("main")).ToContainTextAsync("2 version(s)");
        await ShotAsync(page, "history");

        // Diff between the two commits: modified, with the changed lines.
        await page.ClickAsync("a:text('diff with previous')");
        await Expect(page.Locator("tbody tr td.mod")).ToHaveTextAsync("modified");
        await Expect(page.Locator("tbody")).ToContainTextAsync("docs/notes.txt");
        await Expect(page.Locator(".diff .l-del")).ToHaveTextAsync("- line2");
        await Expect(page.Locator(".diff .l-add")).ToHaveTextAsync("+ line2 changed");
        await page.GotoAsync("/repos/images/diff?from=master%5E&to=master");
        await Expect(page.Locator("#diff-summary")).ToContainTextAsync("~1 modified");
        await ShotAsync(page, "diff");

        // More kinds of preview: CSV as a table, JSON pretty-printed, an image.
        await page.GotoAsync("/repos/images/files?at=master&path=data/");
        await page.SetInputFilesAsync("#upload-input", new FilePayload[]
        {
            new() { Name = "people.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes("name,age\nalice,31\n\"bob, jr\",7\n") },
            new() { Name = "config.json", MimeType = "application/json", Buffer = Encoding.UTF8.GetBytes("{\"a\":1,\"b\":[true,null]}") },
            new() { Name = "pixel.png", MimeType = "image/png", Buffer = Png },
        });
        await Expect(page.Locator("tbody tr")).ToHaveCountAsync(3);
        await page.ClickAsync("table a:text('people.csv')");
        await Expect(page.Locator("table.csv th")).ToHaveTextAsync(["name", "age"]);
        await Expect(page.Locator("table.csv tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("table.csv tbody tr").Nth(1).Locator("td").First).ToHaveTextAsync("bob, jr");
        await ShotAsync(page, "file-csv");
        await page.GotoAsync("/repos/images/file?at=master&path=data/config.json");
        await Expect(page.Locator("pre.json")).ToContainTextAsync("\"a\": 1,");
        await ShotAsync(page, "file-json");
        await page.GotoAsync("/repos/images/file?at=master&path=data/pixel.png");
        var img = page.Locator("img.preview");
        await Expect(img).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('img.preview').complete");
        Assert.Equal(2, await img.EvaluateAsync<int>("i => i.naturalWidth"));
        await ShotAsync(page, "file-image");
        // Download of an old version: the first notes.txt, as an attachment.
        await page.GotoAsync("/repos/images/file?at=master~4&path=docs/notes.txt");
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("a:text('Download')"));
        Assert.Equal("notes.txt", download.SuggestedFilename);
        Assert.Equal("line1\nline2\nline3\n", await File.ReadAllTextAsync((await download.PathAsync())!));

        // The commit timeline: five commits, newest first, with their change counts.
        await page.GotoAsync("/repos/images/commits?branch=master");
        await Expect(page.Locator("tbody tr")).ToHaveCountAsync(5);
        await Expect(page.Locator("tbody tr").First).ToContainTextAsync("put data/pixel.png");
        await Expect(page.Locator("tbody tr").Nth(3)).ToContainTextAsync("+0 ~1 -0");
        await Expect(page.Locator("tbody tr").Last).ToContainTextAsync("+1 ~0 -0");
        await ShotAsync(page, "commits");

        // A branch from an older commit, listed on the repo page, with that commit's files.
        await page.GotoAsync("/repos/images");
        await page.FillAsync("#nb-name", "experiment");
        await page.FillAsync("#nb-from", "master~3");
        await page.ClickAsync("button:text('Create branch')");
        await Expect(page.Locator("table a", new() { HasTextString = "experiment" })).ToBeVisibleAsync();
        await Expect(page.Locator("#branch")).ToHaveValueAsync("experiment");
        await page.GotoAsync("/repos/images/file?at=experiment&path=docs/notes.txt");
        await Expect(page.Locator("pre.text")).ToContainTextAsync("line2 changed");
        await page.GotoAsync("/repos/images/files?at=experiment&path=data/");
        await Expect(page.Locator("main")).ToContainTextAsync("Empty.");

        // An explicit commit: start, write into it (unseen), finish: one commit appears.
        await page.GotoAsync("/repos/images?branch=master");
        await ShotAsync(page, "repo");
        await page.ClickAsync("button:text('Start commit')");
        await Expect(page.Locator("#open-commit")).ToContainTextAsync("0 changed file(s)");
        await page.GotoAsync("/repos/images/files?at=master&path=batch/");
        await Expect(page.Locator("#upload")).ToContainTextAsync("open explicit commit");
        await UploadAndReloadAsync(page, () => page.SetInputFilesAsync("#upload-input", new FilePayload[]
        {
            new() { Name = "one.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("1") },
        }));
        await page.GotoAsync("/repos/images/files?at=master&path=batch/");
        await Expect(page.Locator("main")).ToContainTextAsync("Empty.");
        await page.GotoAsync("/repos/images?branch=master");
        await Expect(page.Locator("#open-commit")).ToContainTextAsync("1 changed file(s)");
        await ShotAsync(page, "explicit-commit");
        await page.FillAsync("#ec-msg", "batch of one");
        await page.ClickAsync("button:text('Finish commit')");
        await Expect(page.Locator("#open-commit")).ToHaveCountAsync(0);
        await Expect(page.Locator("main")).ToContainTextAsync("batch of one");
        await page.GotoAsync("/repos/images/commits?branch=master");
        await Expect(page.Locator("tbody tr")).ToHaveCountAsync(6);
        await Expect(page.Locator("tbody tr").First).ToContainTextAsync("batch of one");
        await page.GotoAsync("/repos/images/files?at=master&path=batch/");
        await Expect(page.Locator("table a", new() { HasTextString = "one.txt" })).ToBeVisibleAsync();

        // Abandon leaves the branch as it was.
        await page.GotoAsync("/repos/images?branch=master");
        await page.ClickAsync("button:text('Start commit')");
        await Expect(page.Locator("#open-commit")).ToBeVisibleAsync();
        await page.ClickAsync("button:text('Abandon commit')");
        await Expect(page.Locator("#open-commit")).ToHaveCountAsync(0);
        await Expect(page.Locator("main")).ToContainTextAsync("No open commit");

        // The repo list sums it up.
        await page.GotoAsync("/");
        var row = page.Locator("tbody tr", new() { HasTextString = "images" });
        await Expect(row.Locator("td").Nth(1)).ToHaveTextAsync("2");
        await Expect(row.Locator("td").Nth(2)).ToHaveTextAsync("5");
        await ShotAsync(page, "repos");
    }
}
