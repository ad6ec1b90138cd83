using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Core;
using Strata.Core.Auth;
using Strata.S3.Operations;
using static Strata.Server.WebConsole.Html;

namespace Strata.Server.WebConsole;

/// <summary>The file browser at any reference (paged: a directory of any size costs a page), a file's page, its bytes, its history.</summary>
internal static class FilePages
{
    public const int PageSize = 1000;

    public static void Map(RouteGroupBuilder ui, VersionedStore store, IAccessStore access, bool auth)
    {
        ui.MapGet("/repos/{repo}/files", async (HttpContext http, string repo, string? at, string? path, string? after, int? limit, CancellationToken ct) =>
        {
            at = string.IsNullOrEmpty(at) ? Names.DefaultBranch : at;
            var dir = Dir(path);
            var commit = await store.ResolveRefAsync(repo, at, ct);
            var n = Math.Clamp(limit ?? PageSize, 1, PageSize);
            // One delimited listing page, as ListObjects does: subdirectories are skipped by a seek, never read.
            var page = await ListObjects.ListPageAsync(store, commit, dir, "/", after ?? "", n, ct);
            var b = new StringBuilder();
            b.Append(RefForm(repo, "files", at, dir));
            b.Append(Crumbs(repo, at, dir, null));
            if (commit is not null) b.Append($"<p class=\"muted\">At commit {ShortId(commit.Id)}, {Time(commit.Time)}: {E(commit.Message)}</p>");
            b.Append("<table><thead><tr><th>Name</th><th class=\"num\">Size</th><th>Modified</th><th>Written by</th></tr></thead><tbody>");
            foreach (var p in page.Prefixes)
                b.Append($"<tr><td>📁 <a href=\"{E(FilesUrl(repo, at, p))}\">{E(p[dir.Length..])}</a></td><td class=\"num muted\">dir</td><td></td><td></td></tr>");
            foreach (var (key, f) in page.Contents)
                b.Append($"<tr><td><a href=\"{E(FileUrl(repo, at, key))}\">{E(key[dir.Length..])}</a></td><td class=\"num\">{Size(f.Size)}</td><td>{Time(f.Modified)}</td><td>{ShortId(f.CommitId)}</td></tr>");
            b.Append("</tbody></table>");
            if (page.Prefixes.Count + page.Contents.Count == 0) b.Append("<p class=\"muted\">Empty.</p>");
            b.Append($"<p class=\"pager\">{page.Prefixes.Count + page.Contents.Count} entries on this page");
            if (after is not null) b.Append($" (after <code>{E(after[dir.Length..])}</code>) · <a href=\"{E(FilesUrl(repo, at, dir))}\">first page</a>");
            if (page.Truncated) b.Append($" · <a rel=\"next\" id=\"next-page\" href=\"{E(FilesUrl(repo, at, dir, page.Last))}{(limit is null ? "" : "&limit=" + n)}\">Next page →</a>");
            b.Append("</p>");
            // Uploads go to a branch (its head, or its open explicit commit), not to a commit; writers only.
            if (Names.IsValidName(at) && await ConsoleAccess.MayAsync(http, access, repo, RepoRole.Writer, ct) && await store.Meta.GetBranchAsync(repo, at, ct) is not null)
                b.Append(UploadWidget(repo, at, dir, await store.Meta.GetOpenCommitAsync(repo, at, ct) is not null));
            return ConsoleUi.Page($"{repo}@{at}:/{dir}", b.ToString(), auth, repo);
        });

        // The upload widget's target: the raw body is streamed into the store (see Admin.ContentUpload).
        ui.MapPost("/repos/{repo}/upload", async (HttpContext http, string repo, string branch, string path, CancellationToken ct) =>
        {
            var (commit, etag, key) = await Admin.ContentUpload.WriteAsync(store, repo, branch, path, http.Request.Body, http.Request.ContentType, ct);
            return Results.Json(new { path = key, etag, commit = commit?.Id }, statusCode: 201);
        });

        ui.MapGet("/repos/{repo}/file", async (string repo, string at, string path, CancellationToken ct) =>
        {
            var commit = await store.ResolveRefAsync(repo, at, ct);
            var f = await store.GetFileAsync(commit, path, ct) ?? throw new StrataException(StoreError.NoSuchKey, $"{path} does not exist at {at}");
            var b = new StringBuilder();
            b.Append(RefForm(repo, "file", at, path));
            b.Append(Crumbs(repo, at, Dir(path[..(path.LastIndexOf('/') + 1)]), path));
            b.Append($"""
                <table class="meta"><tbody>
                <tr><th>Size</th><td>{Size(f.Size)} ({Num(f.Size)} bytes)</td></tr>
                <tr><th>Content type</th><td>{E(f.Header("content-type") ?? "unknown")}</td></tr>
                <tr><th>Modified</th><td>{Time(f.Modified)}</td></tr>
                <tr><th>Written by</th><td>{ShortId(f.CommitId)}</td></tr>
                <tr><th>ETag</th><td><code>{E(f.ETag)}</code></td></tr>
                </tbody></table>
                <p><a href="{E(RawUrl(repo, commit!.Id, path, true))}" download>Download</a> · <a href="{E(HistoryUrl(repo, at, path))}">History</a> · <a href="{E(FilesUrl(repo, at, Dir(path[..(path.LastIndexOf('/') + 1)])))}">Directory</a></p>
                <h2>Preview</h2>
                """);
            b.Append(await Preview.RenderAsync(store, repo, commit.Id, path, f, ct));
            return ConsoleUi.Page(path, b.ToString(), auth, repo);
        });

        ui.MapGet("/repos/{repo}/raw", async (HttpContext http, string repo, string at, string path, string? download, CancellationToken ct) =>
        {
            var commit = await store.ResolveRefAsync(repo, at, ct);
            var f = await store.GetFileAsync(commit, path, ct) ?? throw new StrataException(StoreError.NoSuchKey, $"{path} does not exist at {at}");
            var type = Preview.ContentType(path, f);
            var inline = download is null && Preview.IsImage(path, f);
            http.Response.ContentType = inline ? type : "application/octet-stream";
            http.Response.ContentLength = f.Size;
            // Stored bytes are someone's upload: never let them run as a page on the console's origin.
            http.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            var name = path[(path.LastIndexOf('/') + 1)..];
            http.Response.Headers.ContentDisposition = new System.Net.Mime.ContentDisposition { Inline = inline, FileName = Ascii(name) }.ToString()
                + "; filename*=UTF-8''" + Uri.EscapeDataString(name);
            await ContentReader.CopyToAsync(store.Chunks, f, 0, f.Size, http.Response.Body, ct);
            return Results.Empty;
        });

        ui.MapGet("/repos/{repo}/history", async (string repo, string at, string path, CancellationToken ct) =>
        {
            var head = await store.ResolveRefAsync(repo, at, ct);
            var b = new StringBuilder();
            b.Append(Crumbs(repo, at, Dir(path[..(path.LastIndexOf('/') + 1)]), path));
            b.Append("<table><thead><tr><th>Commit</th><th>Time</th><th>Change</th><th class=\"num\">Size</th><th>View</th></tr></thead><tbody>");
            const int limit = 100;
            var rows = new List<VersionRow>();
            long marker = long.MaxValue;
            // The version index answers a page at a time; keep only the commits in this reference's history.
            while (head is not null && rows.Count < limit)
            {
                var batch = (await store.Meta.ListVersionsAsync(repo, path, path, marker, 200, ct)).Where(r => r.Key == path).ToList();
                if (batch.Count == 0) break;
                foreach (var r in batch)
                {
                    marker = r.Height;
                    if (r.Height > head.Height || (await store.Commits.AncestorAtAsync(head, r.Height, ct))?.Id != r.CommitId) continue;
                    rows.Add(r);
                    if (rows.Count == limit) break;
                }
            }
            for (var i = 0; i < rows.Count; i++)
            {
                var r = rows[i];
                var c = await store.Commits.GetAsync(r.CommitId, ct);
                b.Append($"<tr><td>{ShortId(r.CommitId)}</td><td>{Time(DateTimeOffset.FromUnixTimeMilliseconds(r.ModifiedUnixMs))}</td>");
                b.Append(r.IsDelete ? "<td class=\"del\">deleted</td><td></td>" : $"<td>written{(c is null ? "" : ": " + E(c.Message))}</td><td class=\"num\">{Size(r.Size)}</td>");
                b.Append("<td>");
                if (!r.IsDelete)
                    b.Append($"<a href=\"{E(FileUrl(repo, r.CommitId, path))}\">view</a> · <a href=\"{E(RawUrl(repo, r.CommitId, path, true))}\" download>download</a>");
                if (i + 1 < rows.Count) b.Append($" · <a href=\"{E(DiffUrl(repo, rows[i + 1].CommitId, r.CommitId, path))}\">diff with previous</a>");
                b.Append("</td></tr>");
            }
            b.Append("</tbody></table>");
            b.Append(rows.Count == 0 ? "<p class=\"muted\">No commit in this history wrote this path.</p>"
                : $"<p class=\"muted\">{rows.Count} version(s){(rows.Count == limit ? ", the newest " + limit : "")}.</p>");
            return ConsoleUi.Page($"History of {path}", b.ToString(), auth, repo);
        });
    }

    /// <summary>A directory prefix: empty for the root, else ending with '/'.</summary>
    public static string Dir(string? path)
    {
        var p = (path ?? "").TrimStart('/');
        return p.Length == 0 || p.EndsWith('/') ? p : p + "/";
    }

    private static string Ascii(string s)
    {
        var a = new string(s.Select(ch => ch is >= ' ' and < (char)127 and not '"' and not '\\' ? ch : '_').ToArray());
        return a.Length == 0 ? "file" : a;
    }

    /// <summary>Repo @ ref / dir / dir / file, each a link.</summary>
    private static string Crumbs(string repo, string at, string dir, string? file)
    {
        var b = new StringBuilder($"<nav class=\"crumbs\" aria-label=\"path\"><a href=\"{E(FilesUrl(repo, at, ""))}\">{E(repo)}@{E(at)}</a> /");
        var acc = "";
        foreach (var part in dir.Split('/', StringSplitOptions.None)[..^1])
        {
            acc += part + "/";
            b.Append($" <a href=\"{E(FilesUrl(repo, at, acc))}\">{E(part)}</a> /");
        }
        if (file is not null) b.Append($" <span aria-current=\"page\">{E(file[(file.LastIndexOf('/') + 1)..])}</span>");
        return b.Append("</nav>").ToString();
    }

    /// <summary>Show the same view at another reference (branch, commit id, master^, master~2).</summary>
    private static string RefForm(string repo, string view, string at, string path) => $"""
        <form method="get" action="{E(RepoUrl(repo))}/{view}" class="row">
        <label for="at">At (branch, commit, master^, master~2)<input id="at" name="at" value="{E(at)}"></label>
        {Hidden("path", path)}
        <button type="submit">Go</button>
        </form>
        """;

    private static string UploadWidget(string repo, string branch, string dir, bool open) => $"""
        <section id="upload" aria-labelledby="up-h" data-action="{E(RepoUrl(repo))}/upload?branch={E(Q(branch))}" data-dir="{E(dir)}">
        <h2 id="up-h">Upload to {E(branch)}:/{E(dir)}</h2>
        <p class="muted">{(open ? "The branch has an open explicit commit: uploads go into it and appear when it is finished." : "Each file becomes one commit.")}</p>
        <div id="dropzone" class="dropzone">Drop files here, or
        <label for="upload-input" class="inline">choose files <input type="file" id="upload-input" multiple></label></div>
        <progress id="upload-progress" max="100" value="0" hidden></progress>
        <p id="upload-status" role="status" aria-live="polite"></p>
        </section>
        """;
}
