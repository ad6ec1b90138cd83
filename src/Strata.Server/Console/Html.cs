using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Strata.Server.WebConsole;

/// <summary>Small helpers for building HTML by hand: every text that came from data goes through <see cref="E"/>.</summary>
internal static class Html
{
    public static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    /// <summary>A query-string value (refs like <c>master^</c> and paths with spaces survive).</summary>
    public static string Q(string? s) => Uri.EscapeDataString(s ?? "");

    /// <summary>A path segment (repo and branch names are [A-Za-z0-9_-], but be safe).</summary>
    public static string Seg(string s) => Uri.EscapeDataString(s);

    public static string RepoUrl(string repo) => "/repos/" + Seg(repo);

    public static string FilesUrl(string repo, string at, string path, string? after = null) =>
        $"{RepoUrl(repo)}/files?at={Q(at)}&path={Q(path)}" + (after is null ? "" : "&after=" + Q(after));

    public static string FileUrl(string repo, string at, string path) => $"{RepoUrl(repo)}/file?at={Q(at)}&path={Q(path)}";

    public static string RawUrl(string repo, string at, string path, bool download) =>
        $"{RepoUrl(repo)}/raw?at={Q(at)}&path={Q(path)}" + (download ? "&download=1" : "");

    public static string HistoryUrl(string repo, string at, string path) => $"{RepoUrl(repo)}/history?at={Q(at)}&path={Q(path)}";

    public static string CommitsUrl(string repo, string branch, string? after = null) =>
        $"{RepoUrl(repo)}/commits?branch={Q(branch)}" + (after is null ? "" : "&after=" + Q(after));

    public static string DiffUrl(string repo, string from, string to, string? path = null) =>
        $"{RepoUrl(repo)}/diff?from={Q(from)}&to={Q(to)}" + (path is null ? "" : "&path=" + Q(path));

    public static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = bytes;
        var u = 0;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return u == 0 ? bytes.ToString(CultureInfo.InvariantCulture) + " B" : v.ToString("0.#", CultureInfo.InvariantCulture) + " " + units[u];
    }

    public static string Time(DateTimeOffset t) =>
        $"<time datetime=\"{t.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}\">{t.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC</time>";

    /// <summary>A commit id shortened for display, with the full id in the title.</summary>
    public static string ShortId(string id) => $"<code title=\"{E(id)}\">{E(id.Length > 12 ? id[..12] : id)}</code>";

    public static string Num(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A POST form with one button (mutations are never GET links).</summary>
    public static string PostButton(string action, string label, string? hidden = null, string cls = "") =>
        $"<form method=\"post\" action=\"{E(action)}\" class=\"inline\">{hidden}<button type=\"submit\" class=\"{cls}\">{E(label)}</button></form>";

    public static string Hidden(string name, string value) => $"<input type=\"hidden\" name=\"{E(name)}\" value=\"{E(value)}\">";

    public static async Task WriteAsync(HttpContext http, string html, int status = 200)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/html; charset=utf-8";
        // Pages use only our own CSS and script; user content never runs here.
        http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.CacheControl = "no-store";
        var bytes = Encoding.UTF8.GetBytes(html);
        http.Response.ContentLength = bytes.Length;
        await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
    }
}
