using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Strata.Cli;

/// <summary>repo, branch, commit, file and diff: each a thin layer over the admin API (and the S3 gateway for file put).</summary>
internal static class Commands
{
    public static IEnumerable<Command> All(CliConsole console) =>
        [Repo(console), Branch(console), Commit(console), FileCommands.Create(console), Diff(console), PurgeCommand.Create(console), .. MaintenanceCommands.Create(console), AuthCommands.Create(console)];

    /// <summary>Adds a subcommand whose action gets the admin client; JSON answers print raw with --json, else through render.</summary>
    internal static Command Leaf(CliConsole console, string name, string description, Argument[] args,
        Func<ParseResult, AdminClient, CancellationToken, Task<JsonElement>> run, Action<JsonElement> render, Option[]? options = null)
    {
        var cmd = new Command(name, description);
        foreach (var a in args) cmd.Arguments.Add(a);
        foreach (var o in options ?? []) cmd.Options.Add(o);
        cmd.SetAction(async (pr, ct) =>
        {
            try
            {
                using var admin = AdminClient.Create(pr.GetValue(StrataCli.Admin)!, StrataCli.ResolveToken(pr));
                var result = await run(pr, admin, ct);
                if (pr.GetValue(StrataCli.Json)) console.Json.WriteLine(result.ValueKind == JsonValueKind.Undefined ? "{}" : JsonSerializer.Serialize(result, Indented));
                else render(result);
                return 0;
            }
            catch (CliException e)
            {
                console.Error.WriteLine($"strata: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    internal static void Table(CliConsole console, IEnumerable<JsonElement> rows, params (string Header, Func<JsonElement, string> Cell)[] cols)
    {
        var t = new Table().Border(TableBorder.Simple);
        foreach (var (h, _) in cols) t.AddColumn(h);
        foreach (var r in rows) t.AddRow(cols.Select(c => Markup.Escape(c.Cell(r))).ToArray());
        console.Out.Write(t);
    }

    internal static string S(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.Null or JsonValueKind.Undefined => "",
            JsonValueKind.String => v.GetString()!,
            _ => v.ToString(),
        } : "";

    /// <summary>A timestamp as local-free, second-resolution text (tables stay narrow).</summary>
    internal static string Time(JsonElement e, string name) =>
        DateTimeOffset.TryParse(S(e, name), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var t)
            ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) : S(e, name);

    internal static string Size(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? Human(v.GetInt64()) : "";

    internal static string Human(long n) => n switch
    {
        < 1024 => $"{n} B",
        < 1 << 20 => $"{n / 1024.0:0.#} KiB",
        < 1 << 30 => $"{n / 1048576.0:0.#} MiB",
        _ => $"{n / 1073741824.0:0.##} GiB",
    };

    private static Command Repo(CliConsole console)
    {
        var name = new Argument<string>("name");
        var repo = new Command("repo", "create, list, inspect and delete repos");
        repo.Subcommands.Add(Leaf(console, "create", "create a repo (with branch master)", [name],
            (pr, a, ct) => a.PostAsync("repos", new { name = pr.GetValue(name) }, ct),
            r => console.Out.MarkupLineInterpolated($"created repo [bold]{S(r, "name")}[/]")));
        repo.Subcommands.Add(Leaf(console, "list", "list repos with their size and file count", [],
            (pr, a, ct) => a.GetAsync("repos", ct),
            r => Table(console, r.EnumerateArray(), ("REPO", x => S(x, "name")), ("BRANCHES", x => string.Join(", ", x.GetProperty("branches").EnumerateArray().Select(b => S(b, "name")))),
                ("FILES (master)", x => MasterOf(x, "files")), ("SIZE (master)", x => MasterOf(x, "size", human: true)), ("CREATED", x => Time(x, "created")))));
        repo.Subcommands.Add(Leaf(console, "inspect", "show a repo's branches, heads, sizes and file counts", [name],
            (pr, a, ct) => a.GetAsync($"repos/{Uri.EscapeDataString(pr.GetValue(name)!)}", ct),
            r => Table(console, r.GetProperty("branches").EnumerateArray(), ("BRANCH", x => S(x, "name")), ("HEAD", x => S(x, "head")),
                ("FILES", x => S(x, "files")), ("SIZE", x => Size(x, "size")), ("CREATED", x => Time(x, "created")))));
        repo.Subcommands.Add(Leaf(console, "delete", "delete a repo and all its branches", [name],
            (pr, a, ct) => a.DeleteAsync($"repos/{Uri.EscapeDataString(pr.GetValue(name)!)}", ct),
            _ => console.Out.MarkupLine("deleted")));
        repo.Subcommands.Add(MaintenanceCommands.Retention(console, name));
        return repo;
    }

    private static string MasterOf(JsonElement repo, string prop, bool human = false)
    {
        foreach (var b in repo.GetProperty("branches").EnumerateArray())
            if (S(b, "name") == "master") return human ? Size(b, prop) : S(b, prop);
        return "";
    }

    private static Command Branch(CliConsole console)
    {
        var target = new Argument<string>("repo@branch");
        var repoArg = new Argument<string>("repo");
        var from = new Option<string?>("--from") { Description = "start the branch at this commit or ancestry expression (default: empty)" };
        var branch = new Command("branch", "create, list and delete branches");
        branch.Subcommands.Add(Leaf(console, "create", "create a branch, empty or at any commit", [target],
            (pr, a, ct) =>
            {
                var r = FileRef.Parse(pr.GetValue(target)!);
                return a.PostAsync($"repos/{r.Repo}/branches", new { name = r.Ref, from = pr.GetValue(from) }, ct);
            },
            r => console.Out.MarkupLineInterpolated($"created branch [bold]{S(r, "name")}[/] at {(S(r, "head") is { Length: > 0 } h ? h : "(empty)")}"), [from]));
        branch.Subcommands.Add(Leaf(console, "list", "list a repo's branches", [repoArg],
            (pr, a, ct) => a.GetAsync($"repos/{pr.GetValue(repoArg)}/branches", ct),
            r => Table(console, r.EnumerateArray(), ("BRANCH", x => S(x, "name")), ("HEAD", x => S(x, "head")), ("CREATED", x => Time(x, "created")))));
        branch.Subcommands.Add(Leaf(console, "delete", "delete a branch (its commits stay reachable by id)", [target],
            (pr, a, ct) =>
            {
                var r = FileRef.Parse(pr.GetValue(target)!);
                return a.DeleteAsync($"repos/{r.Repo}/branches/{r.Ref}", ct);
            },
            _ => console.Out.MarkupLine("deleted")));
        return branch;
    }

    private static Command Commit(CliConsole console)
    {
        var target = new Argument<string>("repo@ref");
        var limit = new Option<int>("--limit") { Description = "commits per page", DefaultValueFactory = _ => 50 };
        var message = new Option<string?>("--message", "-m") { Description = "commit message" };
        var commit = new Command("commit", "list, inspect, start, finish and abandon commits");
        commit.Subcommands.Add(Leaf(console, "list", "a branch's commits, newest first", [target],
            (pr, a, ct) =>
            {
                var r = FileRef.Parse(pr.GetValue(target)!);
                return a.GetAsync($"repos/{r.Repo}/branches/{r.Ref}/commits?limit={pr.GetValue(limit)}", ct);
            },
            r => Table(console, r.GetProperty("commits").EnumerateArray(), ("COMMIT", x => S(x, "id")), ("PARENT", x => S(x, "parent")),
                ("TIME", x => Time(x, "time")), ("MESSAGE", x => S(x, "message"))), [limit]));
        commit.Subcommands.Add(Leaf(console, "inspect", "a commit with its changed files and sizes", [target],
            (pr, a, ct) =>
            {
                var r = FileRef.Parse(pr.GetValue(target)!);
                return a.GetAsync($"repos/{r.Repo}/commits/{Uri.EscapeDataString(r.Ref!)}", ct);
            },
            r =>
            {
                var c = r.GetProperty("commit");
                var ch = r.GetProperty("changes");
                console.Out.MarkupLineInterpolated($"commit  {S(c, "id")}\nparent  {S(c, "parent")}\ntime    {S(c, "time")}\nmessage {S(c, "message")}");
                console.Out.MarkupLineInterpolated($"files   {S(r, "files")} ({Size(r, "size")})\nchanged +{S(ch, "added")} ~{S(ch, "modified")} -{S(ch, "deleted")} ({Size(ch, "bytesWritten")} written)");
            }));
        commit.Subcommands.Add(Leaf(console, "start", "open a commit: S3 writes to the branch go into it, unseen until finish", [target],
            (pr, a, ct) =>
            {
                var r = FileRef.Parse(pr.GetValue(target)!);
                return a.PostAsync($"repos/{r.Repo}/branches/{r.Ref}/commit", new { }, ct);
            },
            r => console.Out.MarkupLineInterpolated($"started commit [bold]{S(r, "id")}[/]")));
        commit.Subcommands.Add(Leaf(console, "finish", "finish the open commit: all its writes appear at once", [target],
            (pr, a, ct) =>
            {
                var r = FileRef.Parse(pr.GetValue(target)!);
                return a.PostAsync($"repos/{r.Repo}/branches/{r.Ref}/commit/finish", new { message = pr.GetValue(message) }, ct);
            },
            r => console.Out.MarkupLineInterpolated($"finished commit [bold]{S(r, "id")}[/]"), [message]));
        commit.Subcommands.Add(Leaf(console, "abandon", "drop the open commit and everything written into it", [target],
            (pr, a, ct) =>
            {
                var r = FileRef.Parse(pr.GetValue(target)!);
                return a.DeleteAsync($"repos/{r.Repo}/branches/{r.Ref}/commit", ct);
            },
            _ => console.Out.MarkupLine("abandoned")));
        return commit;
    }

    private static Command Diff(CliConsole console)
    {
        var a = new Argument<string>("from") { Description = "repo@ref" };
        var b = new Argument<string>("to") { Description = "repo@ref" };
        return Leaf(console, "diff", "files added, modified and deleted between two commits of a repo", [a, b],
            (pr, admin, ct) =>
            {
                var x = FileRef.Parse(pr.GetValue(a)!);
                var y = FileRef.Parse(pr.GetValue(b)!);
                if (x.Repo != y.Repo) throw new CliException("both sides of a diff must be in the same repo");
                return admin.GetAsync($"repos/{x.Repo}/diff?from={Uri.EscapeDataString(x.Ref!)}&to={Uri.EscapeDataString(y.Ref!)}", ct);
            },
            r => Table(console, r.GetProperty("changes").EnumerateArray(),
                ("CHANGE", x => S(x, "change")), ("PATH", x => S(x, "path")), ("OLD SIZE", x => Size(x, "oldSize")), ("NEW SIZE", x => Size(x, "newSize"))));
    }
}
