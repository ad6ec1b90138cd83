using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Strata.Core.Auth;

namespace Strata.Server.Admin;

/// <summary>
/// /api/auth: users, tokens (shown once, at creation), grants, root token rotation, whoami and the
/// audit log. Who may call what is decided in <see cref="AdminAuthorization"/>; every change is
/// audited with the caller's user and token id.
/// </summary>
internal static partial class AuthApi
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")]
    private static partial Regex UserName();

    public static void Map(RouteGroupBuilder api, IAccessStore access)
    {
        var auth = api.MapGroup("/auth");
        var dataDir = Path.GetFullPath(((IEndpointRouteBuilder)api).ServiceProvider.GetService<ServerOptions>()?.DataDir ?? ".");

        Task AuditAsync(HttpContext http, string action, string target, string detail, CancellationToken ct) =>
            access.AppendAuditAsync(new AuditEntry(0, DateTimeOffset.UtcNow, AdminAuthorization.Actor(http), action, target, detail), ct);

        auth.MapGet("/whoami", async (HttpContext http, CancellationToken ct) =>
        {
            if (AdminAuthorization.Caller(http) is not { } p) return Results.Json(new { user = (string?)null, admin = true, authEnabled = false });
            var grants = await access.ListGrantsAsync(p.User, null, ct);
            return Results.Json(new { user = p.User, admin = p.IsAdmin, tokenId = p.TokenId, authEnabled = true, grants = grants.Select(GrantJson) });
        });

        auth.MapGet("/users", async (CancellationToken ct) =>
            Results.Json((await access.ListUsersAsync(ct)).Select(u => new { name = u.Name, admin = u.IsAdmin, created = u.Created })));
        auth.MapPost("/users", async (HttpContext http, UserCreate body, CancellationToken ct) =>
        {
            if (!UserName().IsMatch(body.Name ?? "")) return Bad("a user name is 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit");
            if ((await access.ListUsersAsync(ct)).Any(u => u.Name == body.Name))
                return Results.Json(new { error = "UserExists", message = $"user {body.Name} exists" }, statusCode: 409);
            await access.CreateUserAsync(body.Name!, body.Admin, ct);
            await AuditAsync(http, "user.create", body.Name!, $"admin={body.Admin.ToString().ToLowerInvariant()}", ct);
            return Results.Json(new { name = body.Name, admin = body.Admin }, statusCode: 201);
        });
        auth.MapDelete("/users/{name}", async (HttpContext http, string name, CancellationToken ct) =>
        {
            if (name == "root") return Bad("the root user cannot be deleted");
            if (!await access.DeleteUserAsync(name, ct)) return NotFound($"user {name} does not exist");
            await AuditAsync(http, "user.delete", name, "with its tokens and grants", ct);
            return Results.NoContent();
        });

        // The only answer that ever holds a new token; only its hash is stored.
        auth.MapPost("/users/{name}/tokens", async (HttpContext http, string name, CancellationToken ct) =>
        {
            if (!(await access.ListUsersAsync(ct)).Any(u => u.Name == name)) return NotFound($"user {name} does not exist");
            var token = Tokens.New();
            var id = await access.AddTokenAsync(name, token, ct);
            await AuditAsync(http, "token.create", name, $"token {id}", ct);
            return Results.Json(new { id, user = name, token }, statusCode: 201);
        });
        auth.MapGet("/users/{name}/tokens", async (string name, CancellationToken ct) =>
            Results.Json((await access.ListTokensAsync(name, ct)).Select(TokenJson)));
        auth.MapDelete("/tokens/{id}", async (HttpContext http, string id, CancellationToken ct) =>
        {
            var t = await access.GetTokenAsync(id, ct);
            if (t is null) return NotFound($"token {id} does not exist");
            if (t.IsRoot) return Bad("the root token cannot be revoked; rotate it (POST /api/auth/rotate-root)");
            if (!await access.RevokeTokenAsync(id, ct)) return NotFound($"token {id} does not exist");
            await AuditAsync(http, "token.revoke", t.User, $"token {id}", ct);
            return Results.NoContent();
        });
        auth.MapPost("/rotate-root", async (HttpContext http, CancellationToken ct) =>
        {
            var token = await Tokens.RotateRootAsync(access, dataDir, ct);
            var id = (await access.FindTokenAsync(token, ct))?.TokenId ?? "";
            await AuditAsync(http, "token.rotate-root", "root", $"token {id}; old root token revoked", ct);
            return Results.Json(new { id, user = "root", token, file = Path.Combine(dataDir, "root-token") });
        });

        // Grants: admins see all; others the grants on a repo they own, or their own.
        auth.MapGet("/grants", async (HttpContext http, string? user, string? repo, CancellationToken ct) =>
        {
            var p = AdminAuthorization.Caller(http);
            var allowed = p is null || p.IsAdmin || (user is not null && user == p.User)
                || (repo is not null && await AdminAuthorization.HasRoleAsync(access, p, repo, RepoRole.Owner, ct));
            if (!allowed) return AdminAuthorization.Forbidden("only an admin, the repo's owner or the user may list these grants");
            return Results.Json((await access.ListGrantsAsync(user, repo, ct)).Select(GrantJson));
        });
        auth.MapPut("/grants/{user}/{repo}", async (HttpContext http, string user, string repo, GrantBody body, CancellationToken ct) =>
        {
            if (!Enum.TryParse<RepoRole>(body.Role, ignoreCase: true, out var role) || !Enum.IsDefined(role) || int.TryParse(body.Role, out _))
                return Bad("role is reader, writer or owner");
            if (!(await access.ListUsersAsync(ct)).Any(u => u.Name == user)) return NotFound($"user {user} does not exist");
            await access.SetRoleAsync(user, repo, role, ct);
            await AuditAsync(http, "grant", user, $"{role.ToString().ToLowerInvariant()} on {repo}", ct);
            return Results.Json(GrantJson(new RoleGrant(user, repo, role)));
        });
        auth.MapDelete("/grants/{user}/{repo}", async (HttpContext http, string user, string repo, CancellationToken ct) =>
        {
            if (await access.GetRoleAsync(user, repo, ct) is not { } had) return NotFound($"user {user} has no role on {repo}");
            await access.SetRoleAsync(user, repo, null, ct);
            await AuditAsync(http, "revoke", user, $"{had.ToString().ToLowerInvariant()} on {repo}", ct);
            return Results.NoContent();
        });

        auth.MapGet("/audit", async (long? after, int? limit, CancellationToken ct) =>
        {
            var n = Math.Clamp(limit ?? 100, 1, 1000);
            var list = await access.ListAuditAsync(after ?? 0, n, ct);
            return Results.Json(new
            {
                entries = list.Select(e => new { seq = e.Seq, time = e.Time, actor = e.Actor, action = e.Action, target = e.Target, detail = e.Detail }),
                next = list.Count == n ? list[^1].Seq : (long?)null,
            });
        });
    }

    public sealed record UserCreate(string? Name, bool Admin);
    public sealed record GrantBody(string? Role);

    private static object GrantJson(RoleGrant g) => new { user = g.User, repo = g.Repo, role = g.Role.ToString().ToLowerInvariant() };

    private static object TokenJson(TokenInfo t) => new { id = t.Id, user = t.User, created = t.Created, lastUsed = t.LastUsed, root = t.IsRoot };

    private static IResult Bad(string message) => Results.Json(new { error = "BadRequest", message }, statusCode: 400);
    private static IResult NotFound(string message) => Results.Json(new { error = "NotFound", message }, statusCode: 404);
}
