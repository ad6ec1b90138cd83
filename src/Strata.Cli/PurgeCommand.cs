using System.CommandLine;
using Spectre.Console;

namespace Strata.Cli;

/// <summary>
/// strata purge REPO[@BRANCH]:/PATH --version V [--all-branches | --which]: erase one version of a file
/// for good (S3's DeleteObject with a versionId). History is rewritten, commit ids stay; gc frees the bytes.
/// </summary>
internal static class PurgeCommand
{
    public static Command Create(CliConsole console)
    {
        var target = new Argument<string>("file") { Description = "repo@branch:/path (the branch may be left out with --all-branches or --which)" };
        var version = new Option<string>("--version") { Description = "the version (commit id) of the file to erase", Required = true };
        var all = new Option<bool>("--all-branches") { Description = "erase it from every branch whose history holds it" };
        var which = new Option<bool>("--which") { Description = "only show which branches hold that version" };
        return Commands.Leaf(console, "purge", "permanently delete one version of a file: it leaves the file's history on every branch that held it",
            [target], async (pr, a, ct) =>
            {
                var f = FileRef.Parse(pr.GetValue(target)!, needRef: false);
                if (f.Path is null) throw new CliException("name the file: repo@branch:/path");
                var query = $"repos/{Uri.EscapeDataString(f.Repo)}/versions/{Uri.EscapeDataString(pr.GetValue(version)!)}?path={Uri.EscapeDataString(f.Path)}";
                if (pr.GetValue(which)) return await a.GetAsync(query, ct);
                if (f.Ref is null && !pr.GetValue(all)) throw new CliException("name the branch (repo@branch:/path) or give --all-branches");
                if (f.Ref is not null) query += "&branch=" + Uri.EscapeDataString(f.Ref);
                if (pr.GetValue(all)) query += "&allBranches=true";
                return await a.DeleteAsync(query, ct);
            },
            r =>
            {
                var branches = string.Join(", ", r.GetProperty("branches").EnumerateArray().Select(b => b.GetString()));
                if (r.TryGetProperty("commitsRewritten", out var n))
                    console.Out.MarkupLineInterpolated($"erased version {Commands.S(r, "version")} of /{Commands.S(r, "path")} from {branches}; {n.GetInt64()} commit(s) rewritten (run gc to free its bytes)");
                else
                    console.Out.MarkupLineInterpolated($"version {Commands.S(r, "version")} of /{Commands.S(r, "path")} is held by: {(branches.Length == 0 ? "no branch" : branches)}");
            }, [version, all, which]);
    }
}
