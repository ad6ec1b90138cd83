using System.Net;
using Microsoft.Playwright;
using Strata.Server;

namespace Strata.Console.Tests;

/// <summary>A real Strata with auth on (Kestrel on 127.0.0.1, embedded storage in a temp dir) and headless Debian Chromium.</summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public StrataServer Server { get; private set; } = null!;
    public string DataDir { get; } = Directory.CreateTempSubdirectory("strata-console-").FullName;
    public string ConsoleUrl => Server.AdminEndpoint;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await StrataServer.CreateAsync(new ServerOptions { DataDir = DataDir, Address = "127.0.0.1", Port = 0, AdminPort = 0, Quiet = true });
        await Server.StartAsync();
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        // Debian's chromium: no browser download is reachable here or in CI.
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await Server.DisposeAsync();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }

    /// <summary>An HTTP client for the admin API, with the root token.</summary>
    public HttpClient Admin()
    {
        var http = new HttpClient { BaseAddress = new Uri(Server.AdminEndpoint) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Server.RootToken);
        return http;
    }

    /// <summary>A plain HTTP client logged in to the console (its cookie kept), not following redirects.</summary>
    public async Task<HttpClient> LoggedInAsync()
    {
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        var http = new HttpClient(handler) { BaseAddress = new Uri(Server.AdminEndpoint) };
        var r = await http.PostAsync("/login", new FormUrlEncodedContent([new("token", Server.RootToken), new("next", "/")]));
        Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        return http;
    }

    /// <summary>TestResults/screenshots under the repo root (found from the test's base directory), or $STRATA_SCREENSHOTS.</summary>
    public static string ScreenshotDir()
    {
        var dir = Environment.GetEnvironmentVariable("STRATA_SCREENSHOTS");
        if (string.IsNullOrEmpty(dir))
        {
            var d = new DirectoryInfo(AppContext.BaseDirectory);
            while (d is not null && !File.Exists(Path.Combine(d.FullName, "Strata.slnx"))) d = d.Parent;
            dir = Path.Combine(d?.FullName ?? AppContext.BaseDirectory, "TestResults", "screenshots");
        }
        Directory.CreateDirectory(dir);
        return dir;
    }
}
