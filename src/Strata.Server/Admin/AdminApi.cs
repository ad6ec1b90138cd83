using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Core;
using Strata.Core.Auth;
using Strata.Core.Tree;

namespace Strata.Server.Admin;

/// <summary>
/// The admin API: JSON over HTTP on its own port, for what S3 cannot say (repos, branches from
/// any commit, commit history, file history, diffs, users and tokens). With auth on it takes a token
/// as <c>Authorization: Bearer &lt;token&gt;</c>; what each role may call is in AdminAuthorization.
/// </summary>
public static class AdminApi
{
    public static void Map(IEndpointRouteBuilder app, VersionedStore store, IAccessStore access, StoreMaintenance maintenance, bool authEnabled)
    {
        var api = app.MapGroup("/api");
        api.AddEndpointFilter(async (ctx, next) =>
        {
            // Roles per endpoint and repo: see AdminAuthorization.
            if (authEnabled && await AdminAuthorization.CheckAsync(ctx.HttpContext, access, ctx.HttpContext.RequestAborted) is { } refused)
                return refused;
            try
            {
                return await next(ctx);
            }
            catch (StrataException e)
            {
                var status = e.Error switch
                {
                    StoreError.NoSuchRepo or StoreError.NoSuchBranch or StoreError.NoSuchVersion or StoreError.NoSuchKey => 404,
                    StoreError.BranchExists or StoreError.CommitOpen or StoreError.GcRunning or StoreError.VersionShared => 409,
                    StoreError.Corrupt => 500,
                    StoreError.GcExpired or StoreError.ConflictRetriesExhausted => 503,
                    StoreError.NoOpenCommit => 404,
                    _ => 400,
                };
                return Results.Json(new { error = e.Error.ToString(), message = e.Message }, statusCode: status);
            }
        });

        MaintenanceApi.Map(api, store, maintenance);
        PurgeApi.Map(api, store);
        ContentUpload.Map(api, store);
        AuthApi.Map(api, access);

        api.MapGet("/repos", async (HttpContext http, CancellationToken ct) =>
        {
            var branches = await store.ListBranchesAsync(ct);
            var repos = new List<object>();
            foreach (var g in branches.GroupBy(b => b.Repo))
                if (await AdminAuthorization.CanReadAsync(http, access, g.Key, ct))
                    repos.Add(await RepoJsonAsync(store, g.Key, g.ToList(), ct));
            return Results.Json(repos);
        });
        api.MapPost("/repos", async (RepoCreate body, CancellationToken ct) =>
        {
            if (await store.Meta.RepoExistsAsync(body.Name, ct)) return Results.Json(new { error = "RepoExists", message = $"repo {body.Name} exists" }, statusCode: 409);
            await store.CreateBranchAsync(body.Name, body.Branch ?? Names.DefaultBranch, ct);
            return Results.Json(await RepoJsonAsync(store, body.Name, await BranchesAsync(store, body.Name, ct), ct), statusCode: 201);
        });
        api.MapGet("/repos/{repo}", async (string repo, CancellationToken ct) =>
        {
            var branches = await BranchesAsync(store, repo, ct);
            return branches.Count == 0 ? NotFound($"repo {repo} does not exist") : Results.Json(await RepoJsonAsync(store, repo, branches, ct));
        });
        api.MapDelete("/repos/{repo}", async (string repo, CancellationToken ct) =>
        {
            var branches = await BranchesAsync(store, repo, ct);
            if (branches.Count == 0) return NotFound($"repo {repo} does not exist");
            foreach (var b in branches) await store.DeleteBranchAsync(repo, b.Name, ct);
            return Results.NoContent();
        });

        api.MapGet("/repos/{repo}/branches", async (string repo, CancellationToken ct) =>
            Results.Json((await BranchesAsync(store, repo, ct)).Select(b => new { name = b.Name, head = b.Head, created = b.Created })));
        api.MapPost("/repos/{repo}/branches", async (string repo, BranchCreate body, CancellationToken ct) =>
        {
            var head = body.From is null ? null : await store.ResolveRefAsync(repo, body.From, ct);
            if (!await store.CreateBranchAtAsync(repo, body.Name, head, ct))
                return Results.Json(new { error = "BranchExists", message = $"branch {body.Name} exists" }, statusCode: 409);
            return Results.Json(new { name = body.Name, head = head?.Id }, statusCode: 201);
        });
        api.MapDelete("/repos/{repo}/branches/{branch}", async (string repo, string branch, CancellationToken ct) =>
        {
            await store.DeleteBranchAsync(repo, branch, ct);
            return Results.NoContent();
        });

        // Explicit commits: start, inspect, finish, abandon. While one is open, S3 writes to the
        // branch go into it and readers see the last finished commit.
        api.MapPost("/repos/{repo}/branches/{branch}/commit", async (string repo, string branch, CancellationToken ct) =>
        {
            var open = await store.StartCommitAsync(repo, branch, ct);
            return Results.Json(new { id = open.Id, @base = open.Base, started = open.Started }, statusCode: 201);
        });
        api.MapGet("/repos/{repo}/branches/{branch}/commit", async (string repo, string branch, CancellationToken ct) =>
        {
            var open = await store.Meta.GetOpenCommitAsync(repo, branch, ct);
            if (open is null) return NotFound($"branch {branch} has no open commit");
            var @base = open.Base is null ? null : await store.Commits.GetAsync(open.Base, ct);
            var changed = 0;
            await foreach (var _ in TreeDiff.DiffAsync(store.Nodes, @base?.Root, open.Root, ct)) changed++;
            return Results.Json(new { id = open.Id, @base = open.Base, started = open.Started, changedFiles = changed });
        });
        api.MapPost("/repos/{repo}/branches/{branch}/commit/finish", async (string repo, string branch, FinishBody? body, CancellationToken ct) =>
            Results.Json(CommitJson(await store.FinishCommitAsync(repo, branch, body?.Message, ct))));
        api.MapDelete("/repos/{repo}/branches/{branch}/commit", async (string repo, string branch, CancellationToken ct) =>
        {
            await store.AbandonCommitAsync(repo, branch, ct);
            return Results.NoContent();
        });

        // A branch's history, newest first, paged by the last commit id seen.
        api.MapGet("/repos/{repo}/branches/{branch}/commits", async (string repo, string branch, string? after, int? limit, CancellationToken ct) =>
        {
            var n = Math.Clamp(limit ?? 100, 1, 1000);
            var br = await store.GetBranchAsync(repo, branch, ct);
            var c = after is null ? await store.ResolveRefAsync(repo, branch, ct) : await store.Commits.GetAsync(after, ct) is { } seen && seen.Parent is { } p ? await store.Commits.GetAsync(p, ct) : null;
            var list = new List<object>();
            string? last = null;
            // History ends at the branch's retention floor.
            while (c is not null && c.Height >= br.Floor && list.Count < n)
            {
                list.Add(CommitJson(c));
                last = c.Id;
                c = c.Parent is null ? null : await store.Commits.GetAsync(c.Parent, ct);
            }
            return Results.Json(new { commits = list, next = c is null || c.Height < br.Floor ? null : last });
        });
        api.MapGet("/repos/{repo}/commits/{reference}", async (string repo, string reference, CancellationToken ct) =>
        {
            var c = await store.ResolveRefAsync(repo, reference, ct);
            if (c is null) return NotFound($"{reference} has no commits");
            var parent = c.Parent is null ? null : await store.Commits.GetAsync(c.Parent, ct);
            // The oldest commit retention keeps starts its history: its changes count from nothing.
            if (parent is not null && await store.IsSquashedAsync(repo, parent, ct)) parent = null;
            int added = 0, modified = 0, deleted = 0;
            long bytes = 0;
            await foreach (var ch in TreeDiff.DiffAsync(store.Nodes, parent?.Root, c.Root, ct))
            {
                _ = ch.Kind switch { ChangeKind.Added => added++, ChangeKind.Modified => modified++, _ => deleted++ };
                bytes += ch.New?.Size ?? 0;
            }
            var (files, size) = await TreeReader.TotalsAsync(store.Nodes, c.Root, ct);
            return Results.Json(new
            {
                commit = CommitJson(c), files, size,
                changes = new { added, modified, deleted, bytesWritten = bytes },
            });
        });

        api.MapGet("/repos/{repo}/files", async (string repo, string at, string? prefix, string? after, int? limit, CancellationToken ct) =>
        {
            var c = await store.ResolveRefAsync(repo, at, ct);
            var cursor = store.Cursor(c);
            var n = Math.Clamp(limit ?? 1000, 1, 10000);
            var p = prefix ?? "";
            var from = after ?? "";
            var list = new List<object>();
            string? last = null;
            var ok = await cursor.SeekAsync(k => KeyOrder.Instance.Compare(k, p) >= 0 && KeyOrder.Instance.Compare(k, from) > 0, ct);
            while (ok && list.Count < n && cursor.Current!.Value.Key.StartsWith(p, StringComparison.Ordinal))
            {
                var (key, f) = cursor.Current!.Value;
                list.Add(FileJson(key, f));
                last = key;
                ok = await cursor.NextAsync(ct);
            }
            var more = ok && cursor.Current!.Value.Key.StartsWith(p, StringComparison.Ordinal);
            return Results.Json(new { commit = c?.Id, files = list, next = more ? last : null });
        });

        // The commits on a branch (or below a commit) that changed one path, newest first.
        api.MapGet("/repos/{repo}/history", async (string repo, string at, string path, int? limit, CancellationToken ct) =>
        {
            var head = await store.ResolveRefAsync(repo, at, ct);
            var n = Math.Clamp(limit ?? 100, 1, 1000);
            var list = new List<object>();
            long marker = long.MaxValue;
            while (head is not null && list.Count < n)
            {
                var rows = await store.Meta.ListVersionsAsync(repo, path, path, marker, 200, ct);
                rows = rows.Where(r => r.Key == path).ToList();
                if (rows.Count == 0) break;
                foreach (var r in rows)
                {
                    marker = r.Height;
                    if (r.Height > head.Height || (await store.Commits.AncestorAtAsync(head, r.Height, ct))?.Id != r.CommitId) continue;
                    list.Add(new { commit = r.CommitId, deleted = r.IsDelete, size = r.Size, etag = r.ETag, modified = DateTimeOffset.FromUnixTimeMilliseconds(r.ModifiedUnixMs) });
                    if (list.Count == n) break;
                }
            }
            return Results.Json(list);
        });

        // A file's bytes at any reference (the CLI's `file get`), streamed chunk by chunk.
        api.MapGet("/repos/{repo}/content", async (HttpContext http, string repo, string at, string path, CancellationToken ct) =>
        {
            var c = await store.ResolveRefAsync(repo, at, ct);
            var f = await store.GetFileAsync(c, path, ct);
            if (f is null) return NotFound($"{path} does not exist at {at}");
            http.Response.ContentType = f.Header("content-type") ?? "application/octet-stream";
            http.Response.ContentLength = f.Size;
            await ContentReader.CopyToAsync(store.Chunks, f, 0, f.Size, http.Response.Body, ct);
            return Results.Empty;
        });

        api.MapGet("/repos/{repo}/diff", async (string repo, string from, string to, CancellationToken ct) =>
        {
            var a = await store.ResolveRefAsync(repo, from, ct);
            var b = await store.ResolveRefAsync(repo, to, ct);
            var list = new List<object>();
            await foreach (var ch in TreeDiff.DiffAsync(store.Nodes, a?.Root, b?.Root, ct))
                list.Add(new { path = ch.Key, change = ch.Kind.ToString().ToLowerInvariant(), oldSize = ch.Old?.Size, newSize = ch.New?.Size, oldETag = ch.Old?.ETag, newETag = ch.New?.ETag });
            return Results.Json(new { from = a?.Id, to = b?.Id, changes = list });
        });
    }

    public sealed record RepoCreate(string Name, string? Branch);
    public sealed record BranchCreate(string Name, string? From);
    public sealed record FinishBody(string? Message);

    private static IResult NotFound(string message) => Results.Json(new { error = "NotFound", message }, statusCode: 404);

    private static async Task<List<BranchInfo>> BranchesAsync(VersionedStore store, string repo, CancellationToken ct) =>
        (await store.ListBranchesAsync(ct)).Where(b => b.Repo == repo).ToList();

    private static async Task<object> RepoJsonAsync(VersionedStore store, string repo, List<BranchInfo> branches, CancellationToken ct)
    {
        var list = new List<object>();
        foreach (var b in branches)
        {
            var head = b.Head is null ? null : await store.Commits.GetAsync(b.Head, ct);
            var (files, size) = await TreeReader.TotalsAsync(store.Nodes, head?.Root, ct);
            list.Add(new { name = b.Name, head = b.Head, created = b.Created, files, size });
        }
        var main = list.Count > 0 ? branches.FindIndex(b => b.Name == Names.DefaultBranch) : -1;
        return new { name = repo, created = branches.Min(b => b.Created), branches = list, defaultBranch = main >= 0 ? Names.DefaultBranch : null };
    }

    private static object CommitJson(CommitInfo c) =>
        new { id = c.Id, parent = c.Parent, height = c.Height, time = c.Time, message = c.Message };

    private static object FileJson(string path, FileEntry f) =>
        new { path, size = f.Size, etag = f.ETag, commit = f.CommitId, modified = f.Modified, contentHash = "blake3:" + f.ContentHash };
}
