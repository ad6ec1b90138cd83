using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Core;
using Strata.Core.Auth;
using Strata.Core.Tree;
using Strata.Server.Admin;
using static Strata.Server.WebConsole.Html;

namespace Strata.Server.WebConsole;

/// <summary>The repo list, a repo's page (branches, branch selector, explicit commit), and their forms.</summary>
internal static class RepoPages
{
    public static void Map(RouteGroupBuilder ui, VersionedStore store, IAccessStore access, bool auth)
    {
        ui.MapGet("/", async (HttpContext http, CancellationToken ct) =>
        {
            var b = new StringBuilder();
            // As POST /api/repos: only admins create repos here (others can, by S3 CreateBucket).
            if (ConsoleAccess.IsAdmin(http))
                b.Append("""
                <form method="post" action="/repos" class="row">
                <label for="new-repo">New repo<input id="new-repo" name="name" required pattern="[A-Za-z0-9_\-]{1,63}" placeholder="images"></label>
                <button type="submit">Create repo</button>
                </form>
                """);
            var groups = new List<IGrouping<string, BranchInfo>>();
            // As GET /api/repos: only the repos the caller can read.
            foreach (var g in (await store.ListBranchesAsync(ct)).GroupBy(x => x.Repo).OrderBy(g => g.Key, StringComparer.Ordinal))
                if (await AdminAuthorization.CanReadAsync(http, access, g.Key, ct)) groups.Add(g);
            if (groups.Count == 0) { b.Append("<p class=\"muted\">No repos yet.</p>"); return ConsoleUi.Page("Repos", b.ToString(), auth); }
            b.Append("<table><caption class=\"muted\">Files and size are those of the default branch.</caption><thead><tr><th>Repo</th><th class=\"num\">Branches</th><th class=\"num\">Files</th><th class=\"num\">Size</th><th>Last commit</th></tr></thead><tbody>");
            foreach (var g in groups)
            {
                var main = g.FirstOrDefault(x => x.Name == Names.DefaultBranch) ?? g.First();
                var mainHead = main.Head is null ? null : await store.Commits.GetAsync(main.Head, ct);
                var (files, size) = await TreeReader.TotalsAsync(store.Nodes, mainHead?.Root, ct);
                CommitInfo? last = null;
                foreach (var br in g)
                    if (br.Head is not null && await store.Commits.GetAsync(br.Head, ct) is { } h && (last is null || h.Time > last.Time)) last = h;
                b.Append($"<tr><td><a href=\"{E(RepoUrl(g.Key))}\">{E(g.Key)}</a></td><td class=\"num\">{g.Count()}</td><td class=\"num\">{Num(files)}</td><td class=\"num\">{Size(size)}</td>");
                b.Append(last is null ? "<td class=\"muted\">none</td></tr>" : $"<td>{Time(last.Time)} {E(last.Message)}</td></tr>");
            }
            b.Append("</tbody></table>");
            return ConsoleUi.Page("Repos", b.ToString(), auth);
        });

        ui.MapPost("/repos", async (HttpContext http, CancellationToken ct) =>
        {
            var name = (await http.Request.ReadFormAsync(ct))["name"].ToString().Trim();
            if (await store.Meta.RepoExistsAsync(name, ct))
                return ConsoleUi.Page("Error", Layout.Error($"repo {name} exists"), auth, null, 409);
            await store.CreateBranchAsync(name, Names.DefaultBranch, ct);
            return Results.Redirect(RepoUrl(name));
        });

        ui.MapGet("/repos/{repo}", async (HttpContext http, string repo, string? branch, CancellationToken ct) =>
        {
            var branches = (await store.ListBranchesAsync(ct)).Where(x => x.Repo == repo).OrderBy(x => x.Name, StringComparer.Ordinal).ToList();
            if (branches.Count == 0) throw new StrataException(StoreError.NoSuchRepo, $"repo {repo} does not exist");
            var sel = branches.FirstOrDefault(x => x.Name == branch) ?? branches.FirstOrDefault(x => x.Name == Names.DefaultBranch) ?? branches[0];
            // Forms the caller may not use are left out; their POSTs are refused anyway.
            var writer = await ConsoleAccess.MayAsync(http, access, repo, RepoRole.Writer, ct);
            var owner = await ConsoleAccess.MayAsync(http, access, repo, RepoRole.Owner, ct);
            var b = new StringBuilder();
            b.Append($"<form method=\"get\" action=\"{E(RepoUrl(repo))}\" class=\"row\"><label for=\"branch\">Branch<select id=\"branch\" name=\"branch\">");
            foreach (var br in branches) b.Append($"<option{(br == sel ? " selected" : "")}>{E(br.Name)}</option>");
            b.Append("</select></label><button type=\"submit\">Show</button></form>");

            var head = sel.Head is null ? null : await store.Commits.GetAsync(sel.Head, ct);
            var (files, size) = await TreeReader.TotalsAsync(store.Nodes, head?.Root, ct);
            b.Append($"<h2>Branch {E(sel.Name)}</h2><p>");
            b.Append(head is null ? "No commits yet." : $"Head {ShortId(head.Id)}, {Time(head.Time)}: {E(head.Message)}. {Num(files)} files, {Size(size)}.");
            b.Append($"</p><p><a href=\"{E(FilesUrl(repo, sel.Name, ""))}\">Browse files</a> · <a href=\"{E(CommitsUrl(repo, sel.Name))}\">Commits</a></p>");
            b.Append(await ExplicitCommitAsync(store, repo, sel.Name, writer, ct));

            b.Append("<h2>Branches</h2><table><thead><tr><th>Branch</th><th>Head</th><th class=\"num\">Files</th><th class=\"num\">Size</th><th>Last commit</th><th>Actions</th></tr></thead><tbody>");
            foreach (var br in branches)
            {
                var h = br.Head is null ? null : await store.Commits.GetAsync(br.Head, ct);
                var (n, bytes) = await TreeReader.TotalsAsync(store.Nodes, h?.Root, ct);
                b.Append($"<tr><td><a href=\"{E(RepoUrl(repo))}?branch={Q(br.Name)}\">{E(br.Name)}</a></td><td>{(h is null ? "<span class=\"muted\">empty</span>" : ShortId(h.Id))}</td>");
                b.Append($"<td class=\"num\">{Num(n)}</td><td class=\"num\">{Size(bytes)}</td><td>{(h is null ? "" : Time(h.Time))}</td><td>");
                b.Append($"<a href=\"{E(FilesUrl(repo, br.Name, ""))}\">files</a> · <a href=\"{E(CommitsUrl(repo, br.Name))}\">commits</a> ");
                if (owner) b.Append(PostButton($"{RepoUrl(repo)}/branches/{Seg(br.Name)}/delete", "Delete", cls: "danger"));
                b.Append("</td></tr>");
            }
            b.Append("</tbody></table>");
            if (owner)
                b.Append($"""
                <h2>New branch</h2>
                <form method="post" action="{E(RepoUrl(repo))}/branches" class="row">
                <label for="nb-name">Name<input id="nb-name" name="name" required pattern="[A-Za-z0-9_\-]{"{1,63}"}"></label>
                <label for="nb-from">From (branch, commit id, master^, master~2; empty: an empty branch)<input id="nb-from" name="from" value="{E(head is null ? "" : sel.Name)}"></label>
                <button type="submit">Create branch</button>
                </form>
                """);
            b.Append($"""
                <h2>Compare</h2>
                <form method="get" action="{E(RepoUrl(repo))}/diff" class="row">
                <label for="d-from">From<input id="d-from" name="from" value="{E(sel.Name)}^"></label>
                <label for="d-to">To<input id="d-to" name="to" value="{E(sel.Name)}"></label>
                <button type="submit">Diff</button>
                </form>
                """);
            return ConsoleUi.Page(repo, b.ToString(), auth, repo);
        });

        ui.MapPost("/repos/{repo}/branches", async (HttpContext http, string repo, CancellationToken ct) =>
        {
            var form = await http.Request.ReadFormAsync(ct);
            var name = form["name"].ToString().Trim();
            var from = form["from"].ToString().Trim();
            var head = from.Length == 0 ? null : await store.ResolveRefAsync(repo, from, ct);
            if (!await store.CreateBranchAtAsync(repo, name, head, ct)) throw new StrataException(StoreError.BranchExists, $"branch {name} exists");
            return Results.Redirect($"{RepoUrl(repo)}?branch={Q(name)}");
        });
        ui.MapPost("/repos/{repo}/branches/{branch}/delete", async (string repo, string branch, CancellationToken ct) =>
        {
            await store.DeleteBranchAsync(repo, branch, ct);
            return Results.Redirect(RepoUrl(repo));
        });
        ui.MapPost("/repos/{repo}/branches/{branch}/commit/{action}", async (HttpContext http, string repo, string branch, string action, CancellationToken ct) =>
        {
            switch (action)
            {
                case "start": await store.StartCommitAsync(repo, branch, ct); break;
                case "finish":
                    var message = (await http.Request.ReadFormAsync(ct))["message"].ToString().Trim();
                    await store.FinishCommitAsync(repo, branch, message.Length == 0 ? null : message, ct);
                    break;
                case "abandon": await store.AbandonCommitAsync(repo, branch, ct); break;
                default: return Results.NotFound();
            }
            return Results.Redirect($"{RepoUrl(repo)}?branch={Q(branch)}");
        });
    }

    /// <summary>The branch's open explicit commit (with finish and abandon), or a button to start one.</summary>
    private static async Task<string> ExplicitCommitAsync(VersionedStore store, string repo, string branch, bool writer, CancellationToken ct)
    {
        var open = await store.Meta.GetOpenCommitAsync(repo, branch, ct);
        var action = $"{RepoUrl(repo)}/branches/{Seg(branch)}/commit/";
        if (open is null)
            return "<section aria-labelledby=\"ec\"><h2 id=\"ec\">Explicit commit</h2><p>No open commit: every write is its own commit."
                + (writer ? " Start one to group many writes into one commit.</p>" + PostButton(action + "start", "Start commit") : "</p>") + "</section>";
        var @base = open.Base is null ? null : await store.Commits.GetAsync(open.Base, ct);
        var changed = 0;
        await foreach (var _ in TreeDiff.DiffAsync(store.Nodes, @base?.Root, open.Root, ct)) changed++;
        return $"""
            <section aria-labelledby="ec"><h2 id="ec">Explicit commit</h2>
            <p id="open-commit">Open commit {ShortId(open.Id)} started {Time(open.Started)}: <strong>{changed} changed file(s)</strong>, not visible until finished.</p>
            {(writer ? FinishForms(action) : "")}
            </section>
            """;
    }

    private static string FinishForms(string action) => $"""
            <form method="post" action="{E(action)}finish" class="row">
            <label for="ec-msg">Message<input id="ec-msg" name="message" size="40"></label>
            <button type="submit">Finish commit</button>
            </form>
            {PostButton(action + "abandon", "Abandon commit", cls: "danger")}
            """;
}
