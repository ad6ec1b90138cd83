using System.Text;
using Microsoft.AspNetCore.Routing;
using Strata.Core;
using Strata.Core.Tree;
using static Strata.Server.WebConsole.Html;

namespace Strata.Server.WebConsole;

/// <summary>A branch's commit timeline, newest first, paged by the last commit id seen.</summary>
internal static class CommitPages
{
    public const int PageSize = 50;

    public static void Map(RouteGroupBuilder ui, VersionedStore store, bool auth)
    {
        ui.MapGet("/repos/{repo}/commits", async (string repo, string? branch, string? after, CancellationToken ct) =>
        {
            branch ??= Names.DefaultBranch;
            var br = await store.GetBranchAsync(repo, branch, ct);
            var c = after is null ? await store.ResolveRefAsync(repo, branch, ct)
                : await store.Commits.GetAsync(after, ct) is { Parent: { } p } seen && seen.Repo == repo ? await store.Commits.GetAsync(p, ct) : null;
            var b = new StringBuilder();
            b.Append($"<p>Branch <a href=\"{E(RepoUrl(repo))}?branch={Q(branch)}\">{E(branch)}</a>, newest first.</p>");
            b.Append("<table><thead><tr><th>Commit</th><th>Message</th><th>Time</th><th class=\"num\" title=\"files added, modified, deleted\">Changes</th><th>View</th></tr></thead><tbody>");
            string? last = null;
            var shown = 0;
            // History ends at the branch's retention floor.
            while (c is not null && c.Height >= br.Floor && shown < PageSize)
            {
                var parent = c.Parent is null || c.Height == br.Floor ? null : await store.Commits.GetAsync(c.Parent, ct);
                int added = 0, modified = 0, deleted = 0;
                // A diff costs the size of the change, so a page of commits stays cheap.
                await foreach (var ch in TreeDiff.DiffAsync(store.Nodes, parent?.Root, c.Root, ct))
                    _ = ch.Kind switch { ChangeKind.Added => added++, ChangeKind.Modified => modified++, _ => deleted++ };
                b.Append($"<tr><td>{ShortId(c.Id)}</td><td>{E(c.Message)}</td><td>{Time(c.Time)}</td>");
                b.Append($"<td class=\"num\"><span class=\"add\">+{added}</span> <span class=\"mod\">~{modified}</span> <span class=\"del\">-{deleted}</span></td>");
                b.Append($"<td><a href=\"{E(FilesUrl(repo, c.Id, ""))}\">files</a>");
                if (parent is not null) b.Append($" · <a href=\"{E(DiffUrl(repo, parent.Id, c.Id))}\">diff</a>");
                b.Append("</td></tr>");
                last = c.Id;
                shown++;
                c = c.Parent is null ? null : await store.Commits.GetAsync(c.Parent, ct);
            }
            b.Append("</tbody></table>");
            if (shown == 0) b.Append("<p class=\"muted\">No commits.</p>");
            if (c is not null && c.Height >= br.Floor && last is not null)
                b.Append($"<p class=\"pager\"><a rel=\"next\" href=\"{E(CommitsUrl(repo, branch, last))}\">Older commits →</a></p>");
            return ConsoleUi.Page($"Commits of {repo}@{branch}", b.ToString(), auth, repo);
        });
    }
}
