using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Strata.Cli;

/// <summary>gc and fsck: run on the server through the admin API, with live progress on a terminal.</summary>
internal static class MaintenanceCommands
{
    public static IEnumerable<Command> Create(CliConsole console) => [Gc(console), Fsck(console)];

    private static Command Gc(CliConsole console)
    {
        var grace = new Option<string?>("--grace") { Description = "keep what was touched this recently (90s, 30m, 1h; default: the server's --gc-grace)" };
        var cmd = new Command("gc", "collect garbage: delete chunks, tree nodes and commits that no branch, open commit or upload reaches") { grace };
        cmd.SetAction((pr, ct) => Guarded(console, async () =>
        {
            var query = "gc?progress=true";
            if (pr.GetValue(grace) is { } g)
                query += "&graceSeconds=" + (Strata.Server.ServerOptions.Duration(g)
                    ?? throw new CliException($"--grace takes a duration such as 90s, 30m or 1h, not '{g}'")).TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var r = await RunAsync(console, pr, query, "collecting garbage", ct);
            if (pr.GetValue(StrataCli.Json)) return Print(console, r);
            console.Out.MarkupLineInterpolated($"freed [bold]{Commands.Human(L(r, "chunkBytesFreed"))}[/] in {L(r, "chunksDeleted")} chunks, {L(r, "nodesDeleted")} tree nodes ({Commands.Human(L(r, "nodeBytesFreed"))}), {L(r, "commitsDeleted")} commits");
            console.Out.MarkupLineInterpolated($"kept {L(r, "chunksListed") - L(r, "chunksDeleted")} chunks; reachable: {L(r, "commitsReachable")} commits, {L(r, "nodesReachable")} nodes, {L(r, "chunksReferenced")} chunks; {D(r, "seconds"):0.0} s");
            return 0;
        }));
        return cmd;
    }

    private static Command Fsck(CliConsole console)
    {
        var quick = new Option<bool>("--quick") { Description = "check chunks exist with the right length, without reading them" };
        var repair = new Option<bool>("--repair") { Description = "rebuild version rows from the trees and remove stale temporary files (never deletes data)" };
        var cmd = new Command("fsck", "check that everything live roots reach is stored whole; exit 1 if not") { quick, repair };
        cmd.SetAction((pr, ct) => Guarded(console, async () =>
        {
            var query = $"fsck?progress=true&quick={(pr.GetValue(quick) ? "true" : "false")}&repair={(pr.GetValue(repair) ? "true" : "false")}";
            var r = await RunAsync(console, pr, query, "checking", ct);
            var clean = L(r, "problemCount") == 0;
            if (pr.GetValue(StrataCli.Json))
            {
                Print(console, r);
                return clean ? 0 : 1;
            }
            console.Out.MarkupLineInterpolated($"checked {L(r, "branches")} branches, {L(r, "commits")} commits, {L(r, "nodes")} tree nodes, {L(r, "chunks")} chunks ({Commands.Human(L(r, "chunkBytes"))}), {L(r, "versionRowsChecked")} version rows in {D(r, "seconds"):0.0} s");
            foreach (var p in r.GetProperty("problems").EnumerateArray())
            {
                console.Out.MarkupLineInterpolated($"[red]{Commands.S(p, "kind")}[/] {Commands.S(p, "subject")}: {Commands.S(p, "detail")}");
                foreach (var a in p.GetProperty("affects").EnumerateArray()) console.Out.MarkupLineInterpolated($"    affects {a.GetString()}");
            }
            foreach (var done in r.GetProperty("repaired").EnumerateArray()) console.Out.MarkupLineInterpolated($"[green]repaired[/] {done.GetString()}");
            console.Out.MarkupLine(clean ? "[green]clean[/]" : $"[red]{L(r, "problemCount")} problems[/]");
            return clean ? 0 : 1;
        }));
        return cmd;
    }

    /// <summary>strata repo retention REPO [--keep-last N] [--keep-days D] [--keep-all]: shows or sets the repo's history retention.</summary>
    public static Command Retention(CliConsole console, Argument<string> name)
    {
        var keepLast = new Option<int?>("--keep-last") { Description = "keep at least the last N commits of each branch" };
        var keepDays = new Option<double?>("--keep-days") { Description = "keep every commit younger than D days" };
        var keepAll = new Option<bool>("--keep-all") { Description = "drop the policy: keep all history from now on (what was squashed stays squashed)" };
        var set = (ParseResult pr) => pr.GetValue(keepLast) is not null || pr.GetValue(keepDays) is not null || pr.GetValue(keepAll);
        return Commands.Leaf(console, "retention", "show or set history retention: older commits are squashed out of branch history; gc then frees what only they held",
            [name], (pr, a, ct) => set(pr)
                ? a.PutAsync($"repos/{pr.GetValue(name)}/retention", new { keepLast = pr.GetValue(keepLast), keepDays = pr.GetValue(keepDays) }, ct)
                : a.GetAsync($"repos/{pr.GetValue(name)}/retention", ct),
            r =>
            {
                var policy = Commands.S(r, "keepLast") is { Length: > 0 } n || Commands.S(r, "keepDays") is { Length: > 0 }
                    ? $"keep the last {(Commands.S(r, "keepLast") is { Length: > 0 } l ? l : "any number of")} commits or those younger than {(Commands.S(r, "keepDays") is { Length: > 0 } d ? d + " days" : "any age")}"
                    : "keep all history";
                console.Out.MarkupLineInterpolated($"[bold]{Commands.S(r, "repo")}[/]: {policy}");
                Commands.Table(console, r.GetProperty("branches").EnumerateArray(), ("BRANCH", b => Commands.S(b, "name")), ("HISTORY FROM HEIGHT", b => Commands.S(b, "floor")));
            }, [keepLast, keepDays, keepAll]);
    }

    private static async Task<int> Guarded(CliConsole console, Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (CliException e)
        {
            console.Error.WriteLine($"strata: {e.Message}");
            return 1;
        }
    }

    private static long L(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;
    private static double D(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 0;

    private static int Print(CliConsole console, JsonElement r)
    {
        console.Json.WriteLine(JsonSerializer.Serialize(r, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    /// <summary>POSTs the run and reads its NDJSON answer: progress lines drive a progress bar on a terminal; the last line is the result.</summary>
    private static async Task<JsonElement> RunAsync(CliConsole console, ParseResult pr, string query, string label, CancellationToken ct)
    {
        using var admin = AdminClient.Create(pr.GetValue(StrataCli.Admin)!, StrataCli.ResolveToken(pr));
        using var req = new HttpRequestMessage(HttpMethod.Post, "api/" + query);
        HttpResponseMessage resp;
        try
        {
            resp = await admin.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the admin API at {admin.Http.BaseAddress}: {e.Message}");
        }
        using (resp)
        {
            if (!resp.IsSuccessStatusCode) throw new CliException($"{(int)resp.StatusCode}: {await resp.Content.ReadAsStringAsync(ct)}");
            using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync(ct));
            JsonElement? last = null;
            async Task ReadAsync(Action<string> status)
            {
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    if (line.Length == 0) continue;
                    var e = JsonDocument.Parse(line).RootElement.Clone();
                    if (e.TryGetProperty("result", out var result)) last = result;
                    else if (e.TryGetProperty("error", out _)) throw new CliException(Commands.S(e, "message"));
                    else status($"{label}: {Commands.S(e, "phase")} {Commands.S(e, "done")}");
                }
            }
            if (console.Interactive && !pr.GetValue(StrataCli.Json))
                await console.Out.Progress().AutoClear(true)
                    .Columns(new SpinnerColumn(), new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new ElapsedTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        // The phases' sizes are not known ahead: an indeterminate bar with live counts.
                        var task = ctx.AddTask(Markup.Escape(label)).IsIndeterminate();
                        await ReadAsync(s => task.Description = Markup.Escape(s));
                        task.StopTask();
                    });
            else
                await ReadAsync(_ => { });
            return last ?? throw new CliException("the server ended the run without a result");
        }
    }
}
