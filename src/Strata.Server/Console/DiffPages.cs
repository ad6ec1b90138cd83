using System.Text;
using Microsoft.AspNetCore.Routing;
using Strata.Core;
using Strata.Core.Tree;
using static Strata.Server.WebConsole.Html;

namespace Strata.Server.WebConsole;

/// <summary>The diff between any two references: changed files (a tree diff skips shared subtrees), and line diffs of small text files.</summary>
internal static class DiffPages
{
    private const int MaxChanges = 5000;
    private const int MaxTextDiffs = 20;
    private const int Context = 3;

    public static void Map(RouteGroupBuilder ui, VersionedStore store, bool auth)
    {
        ui.MapGet("/repos/{repo}/diff", async (string repo, string? from, string? to, string? path, CancellationToken ct) =>
        {
            to = string.IsNullOrEmpty(to) ? Names.DefaultBranch : to;
            from = string.IsNullOrEmpty(from) ? to + "^" : from;
            var a = await store.ResolveRefAsync(repo, from, ct);
            var c = await store.ResolveRefAsync(repo, to, ct);
            var b = new StringBuilder();
            b.Append($"""
                <form method="get" action="{E(RepoUrl(repo))}/diff" class="row">
                <label for="d-from">From<input id="d-from" name="from" value="{E(from)}"></label>
                <label for="d-to">To<input id="d-to" name="to" value="{E(to)}"></label>
                <button type="submit">Diff</button>
                </form>
                <p class="muted">From {(a is null ? "nothing" : ShortId(a.Id))} to {(c is null ? "nothing" : ShortId(c.Id))}.</p>
                """);
            var changes = new List<TreeChange>();
            var more = false;
            await foreach (var ch in TreeDiff.DiffAsync(store.Nodes, a?.Root, c?.Root, ct))
            {
                if (path is not null && ch.Key != path) continue;
                if (changes.Count == MaxChanges) { more = true; break; }
                changes.Add(ch);
            }
            int added = changes.Count(x => x.Kind == ChangeKind.Added), deleted = changes.Count(x => x.Kind == ChangeKind.Deleted);
            b.Append($"<p id=\"diff-summary\">{changes.Count}{(more ? "+" : "")} changed file(s): <span class=\"add\">+{added} added</span>, <span class=\"mod\">~{changes.Count - added - deleted} modified</span>, <span class=\"del\">-{deleted} deleted</span>.</p>");
            if (changes.Count > 0)
            {
                b.Append("<table><thead><tr><th>Change</th><th>Path</th><th class=\"num\">Old size</th><th class=\"num\">New size</th></tr></thead><tbody>");
                foreach (var ch in changes)
                {
                    var (cls, word) = ch.Kind switch { ChangeKind.Added => ("add", "added"), ChangeKind.Modified => ("mod", "modified"), _ => ("del", "deleted") };
                    var link = ch.New is not null ? FileUrl(repo, c!.Id, ch.Key) : FileUrl(repo, a!.Id, ch.Key);
                    b.Append($"<tr><td class=\"{cls}\">{word}</td><td><a href=\"{E(link)}\">{E(ch.Key)}</a></td>");
                    b.Append($"<td class=\"num\">{(ch.Old is null ? "" : Size(ch.Old.Size))}</td><td class=\"num\">{(ch.New is null ? "" : Size(ch.New.Size))}</td></tr>");
                }
                b.Append("</tbody></table>");
            }
            if (more) b.Append($"<p class=\"muted\">Only the first {MaxChanges} changes are listed.</p>");
            var shown = 0;
            foreach (var ch in changes)
            {
                if (shown == MaxTextDiffs)
                {
                    b.Append($"<p class=\"muted\">Text diffs are shown for the first {MaxTextDiffs} files; follow a file's link in its history for others.</p>");
                    break;
                }
                if (await TextDiffAsync(store, ch, ct) is { } html) { b.Append(html); shown++; }
            }
            return ConsoleUi.Page($"Diff {from} → {to}", b.ToString(), auth, repo);
        });
    }

    /// <summary>A line diff of a change whose sides are both small valid UTF-8, else null.</summary>
    private static async Task<string?> TextDiffAsync(VersionedStore store, TreeChange ch, CancellationToken ct)
    {
        if ((ch.Old?.Size ?? 0) >= Preview.MaxBytes || (ch.New?.Size ?? 0) >= Preview.MaxBytes) return null;
        var oldText = ch.Old is null ? "" : Preview.Text(await Preview.ReadHeadAsync(store, ch.Old, Preview.MaxBytes, ct));
        var newText = ch.New is null ? "" : Preview.Text(await Preview.ReadHeadAsync(store, ch.New, Preview.MaxBytes, ct));
        if (oldText is null || newText is null) return null;
        var b = new StringBuilder($"<h2>{E(ch.Key)}</h2>");
        var lines = LineDiff.Diff(LineDiff.Lines(oldText), LineDiff.Lines(newText));
        if (lines is null) return b.Append("<p class=\"muted\">Too many changes for a line diff.</p>").ToString();
        b.Append($"<div class=\"diff\" role=\"region\" aria-label=\"diff of {E(ch.Key)}\">");
        // Changed lines with a few lines of context; long unchanged runs collapse to one marker.
        var keep = new bool[lines.Count];
        for (var i = 0; i < lines.Count; i++)
            if (lines[i].Op != LineDiff.Op.Same)
                for (var j = Math.Max(0, i - Context); j <= Math.Min(lines.Count - 1, i + Context); j++) keep[j] = true;
        var gap = false;
        for (var i = 0; i < lines.Count; i++)
        {
            if (!keep[i]) { gap = true; continue; }
            if (gap) { b.Append("<div class=\"l-gap\">…</div>"); gap = false; }
            var (cls, mark) = lines[i].Op switch { LineDiff.Op.Add => ("l-add", "+"), LineDiff.Op.Del => ("l-del", "-"), _ => ("l-same", " ") };
            b.Append($"<div class=\"{cls}\">{mark} {E(lines[i].Text)}</div>");
        }
        if (gap) b.Append("<div class=\"l-gap\">…</div>");
        if (!keep.Any(k => k)) b.Append("<div class=\"l-gap\">Same text (metadata changed).</div>");
        return b.Append("</div>").ToString();
    }
}
