using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using static Strata.Cli.Commands;

namespace Strata.Cli;

/// <summary>strata auth: users, tokens, grants, whoami, root rotation and the audit log, over /api/auth.</summary>
internal static class AuthCommands
{
    private static string E(string s) => Uri.EscapeDataString(s);

    public static Command Create(CliConsole console)
    {
        var auth = new Command("auth", "users, tokens and roles (admin; owners may grant on their repos)");
        auth.Subcommands.Add(Leaf(console, "whoami", "the user of the token in use, and its roles", [],
            (pr, a, ct) => a.GetAsync("auth/whoami", ct),
            r =>
            {
                if (r.TryGetProperty("authEnabled", out var on) && !on.GetBoolean())
                {
                    console.Out.MarkupLine("auth is off: every request may do everything");
                    return;
                }
                console.Out.MarkupLineInterpolated($"[bold]{S(r, "user")}[/]{(S(r, "admin") == "True" || S(r, "admin") == "true" ? " (admin)" : "")}, token {S(r, "tokenId")}");
                Table(console, r.GetProperty("grants").EnumerateArray(), ("REPO", x => S(x, "repo")), ("ROLE", x => S(x, "role")));
            }));
        auth.Subcommands.Add(User(console));
        auth.Subcommands.Add(Token(console));

        var user = new Argument<string>("user");
        var repo = new Argument<string>("repo");
        var role = new Argument<string>("role") { Description = "reader, writer or owner" };
        auth.Subcommands.Add(Leaf(console, "grant", "give a user a role on a repo (replacing the one it had)", [user, repo, role],
            (pr, a, ct) => a.PutAsync($"auth/grants/{E(pr.GetValue(user)!)}/{E(pr.GetValue(repo)!)}", new { role = pr.GetValue(role) }, ct),
            r => console.Out.MarkupLineInterpolated($"{S(r, "user")} is {S(r, "role")} on {S(r, "repo")}")));
        auth.Subcommands.Add(Leaf(console, "ungrant", "take a user's role on a repo away", [user, repo],
            (pr, a, ct) => a.DeleteAsync($"auth/grants/{E(pr.GetValue(user)!)}/{E(pr.GetValue(repo)!)}", ct),
            _ => console.Out.MarkupLine("revoked")));
        var byUser = new Option<string?>("--user") { Description = "only this user's grants" };
        var byRepo = new Option<string?>("--repo") { Description = "only the grants on this repo" };
        auth.Subcommands.Add(Leaf(console, "grants", "list grants", [],
            (pr, a, ct) =>
            {
                var q = new List<string>();
                if (pr.GetValue(byUser) is { } u) q.Add("user=" + E(u));
                if (pr.GetValue(byRepo) is { } rp) q.Add("repo=" + E(rp));
                return a.GetAsync("auth/grants" + (q.Count > 0 ? "?" + string.Join('&', q) : ""), ct);
            },
            r => Table(console, r.EnumerateArray(), ("USER", x => S(x, "user")), ("REPO", x => S(x, "repo")), ("ROLE", x => S(x, "role"))), [byUser, byRepo]));

        auth.Subcommands.Add(Leaf(console, "rotate-root", "replace the root token everywhere; the server that does it rewrites its <data-dir>/root-token", [],
            (pr, a, ct) => a.PostAsync("auth/rotate-root", null, ct),
            r =>
            {
                console.Out.MarkupLineInterpolated($"new root token (shown once; also written to {S(r, "file")} on the server):");
                console.Json.WriteLine(S(r, "token"));
            }));

        var after = new Option<long>("--after") { Description = "entries after this sequence number" };
        var limit = new Option<int>("--limit") { Description = "entries per page", DefaultValueFactory = _ => 100 };
        auth.Subcommands.Add(Leaf(console, "audit", "changes of users, tokens and grants: who, what, when", [],
            (pr, a, ct) => a.GetAsync($"auth/audit?after={pr.GetValue(after)}&limit={pr.GetValue(limit)}", ct),
            r => Table(console, r.GetProperty("entries").EnumerateArray(), ("SEQ", x => S(x, "seq")), ("TIME", x => Time(x, "time")),
                ("ACTOR", x => S(x, "actor")), ("ACTION", x => S(x, "action")), ("TARGET", x => S(x, "target")), ("DETAIL", x => S(x, "detail"))), [after, limit]));
        return auth;
    }

    private static Command User(CliConsole console)
    {
        var name = new Argument<string>("name");
        var admin = new Option<bool>("--admin-user") { Description = "the user is an admin: it may do everything (--admin is the admin API endpoint)" };
        var user = new Command("user", "create, list and delete users");
        user.Subcommands.Add(Leaf(console, "create", "create a user (no roles, no tokens yet)", [name],
            (pr, a, ct) => a.PostAsync("auth/users", new { name = pr.GetValue(name), admin = pr.GetValue(admin) }, ct),
            r => console.Out.MarkupLineInterpolated($"created user [bold]{S(r, "name")}[/]"), [admin]));
        user.Subcommands.Add(Leaf(console, "list", "list users", [],
            (pr, a, ct) => a.GetAsync("auth/users", ct),
            r => Table(console, r.EnumerateArray(), ("USER", x => S(x, "name")), ("ADMIN", x => S(x, "admin")), ("CREATED", x => Time(x, "created")))));
        user.Subcommands.Add(Leaf(console, "delete", "delete a user with its tokens and grants", [name],
            (pr, a, ct) => a.DeleteAsync($"auth/users/{E(pr.GetValue(name)!)}", ct),
            _ => console.Out.MarkupLine("deleted")));
        return user;
    }

    private static Command Token(CliConsole console)
    {
        var user = new Argument<string>("user");
        var id = new Argument<string>("id");
        var token = new Command("token", "create, list and revoke tokens");
        token.Subcommands.Add(Leaf(console, "create", "make a token for a user; it is printed once and cannot be shown again", [user],
            (pr, a, ct) => a.PostAsync($"auth/users/{E(pr.GetValue(user)!)}/tokens", null, ct),
            r =>
            {
                console.Out.MarkupLineInterpolated($"token {S(r, "id")} for {S(r, "user")} (shown once; use it as both access key and secret):");
                console.Json.WriteLine(S(r, "token"));
            }));
        token.Subcommands.Add(Leaf(console, "list", "a user's tokens: id, creation and last use (never the token)", [user],
            (pr, a, ct) => a.GetAsync($"auth/users/{E(pr.GetValue(user)!)}/tokens", ct),
            r => Table(console, r.EnumerateArray(), ("ID", x => S(x, "id")), ("CREATED", x => Time(x, "created")),
                ("LAST USED", x => S(x, "lastUsed") is { Length: > 0 } ? Time(x, "lastUsed") : "never"), ("ROOT", x => S(x, "root") is "true" or "True" ? "yes" : ""))));
        token.Subcommands.Add(Leaf(console, "revoke", "revoke a token: refused on every node from the next request", [id],
            (pr, a, ct) => a.DeleteAsync($"auth/tokens/{E(pr.GetValue(id)!)}", ct),
            _ => console.Out.MarkupLine("revoked")));
        return token;
    }
}
