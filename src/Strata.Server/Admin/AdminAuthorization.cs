using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Core.Auth;

namespace Strata.Server.Admin;

/// <summary>
/// Who may call which admin endpoint: the caller's Bearer token is looked up (by its hash) on every
/// request, so a new or revoked token counts on every node at once, and the route's pattern and
/// method say which role on the route's {repo} it needs, or whether only an admin may call it.
/// </summary>
internal static class AdminAuthorization
{
    private const string PrincipalKey = "strata.principal";

    /// <summary>What an endpoint needs: any valid token, an admin, or a role on the route's {repo}.</summary>
    public enum Need { Authenticated, Admin, Reader, Writer, Owner }

    /// <summary>Patterns relative to /api. Listed routes are checked exactly; other routes under a repo by method; anything else is admin-only.</summary>
    private static readonly Dictionary<(string Method, string Pattern), Need> Table = new()
    {
        [("GET", "/repos")] = Need.Authenticated, // filtered to the repos the caller can read
        [("POST", "/repos")] = Need.Admin,
        [("DELETE", "/repos/{repo}")] = Need.Owner,
        [("POST", "/repos/{repo}/branches")] = Need.Owner,
        [("DELETE", "/repos/{repo}/branches/{branch}")] = Need.Owner,
        [("POST", "/repos/{repo}/branches/{branch}/commit")] = Need.Writer,
        [("DELETE", "/repos/{repo}/branches/{branch}/commit")] = Need.Writer,
        [("POST", "/repos/{repo}/branches/{branch}/commit/finish")] = Need.Writer,
        [("PUT", "/repos/{repo}/retention")] = Need.Owner,
        [("GET", "/auth/whoami")] = Need.Authenticated,
        // Owners may grant on their repos: the handlers check the repo of the query or the route.
        [("GET", "/auth/grants")] = Need.Authenticated,
        [("PUT", "/auth/grants/{user}/{repo}")] = Need.Owner,
        [("DELETE", "/auth/grants/{user}/{repo}")] = Need.Owner,
    };

    public static Need Required(string method, string pattern)
    {
        var p = pattern.StartsWith("/api", StringComparison.Ordinal) ? pattern[4..] : pattern;
        if (Table.TryGetValue((method, p), out var need)) return need;
        if (!p.StartsWith("/repos/{repo}", StringComparison.Ordinal)) return Need.Admin;
        return method switch
        {
            "GET" or "HEAD" => Need.Reader,
            "POST" or "PUT" => Need.Writer,
            _ => Need.Owner,
        };
    }

    /// <summary>The authenticated caller, or null when auth is off.</summary>
    public static Principal? Caller(HttpContext http) => http.Items.TryGetValue(PrincipalKey, out var p) ? p as Principal : null;

    /// <summary>Records the authenticated caller (the web console signs in by cookie, not Bearer, but is checked by the same rules).</summary>
    public static void SetCaller(HttpContext http, Principal p) => http.Items[PrincipalKey] = p;

    /// <summary>How the caller appears in the audit log: user and token id, never the token.</summary>
    public static string Actor(HttpContext http) => Caller(http) is { } p ? $"{p.User} (token {p.TokenId})" : "anonymous (auth off)";

    /// <summary>Authenticates and authorizes the request; null to go on, else the 401/403 answer.</summary>
    public static async Task<IResult?> CheckAsync(HttpContext http, IAccessStore access, CancellationToken ct)
    {
        var auth = http.Request.Headers.Authorization.ToString();
        var token = auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth[7..].Trim() : "";
        var p = token.Length == 0 ? null : await access.FindTokenAsync(token, ct).ConfigureAwait(false);
        if (p is null) return Results.Json(new { error = "Unauthorized", message = "send Authorization: Bearer <token> with a valid token" }, statusCode: 401);
        SetCaller(http, p);
        await Tokens.NoteUseAsync(access, p, DateTimeOffset.UtcNow, ct).ConfigureAwait(false);
        var pattern = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "";
        var need = Required(http.Request.Method, pattern);
        if (p.IsAdmin || need == Need.Authenticated) return null;
        if (need == Need.Admin) return Forbidden($"user {p.User} is not an admin");
        var repo = http.Request.RouteValues.TryGetValue("repo", out var r) ? r as string ?? "" : "";
        var role = need switch { Need.Reader => RepoRole.Reader, Need.Writer => RepoRole.Writer, _ => RepoRole.Owner };
        return await HasRoleAsync(access, p, repo, role, ct).ConfigureAwait(false) ? null
            : Forbidden($"user {p.User} needs the {role.ToString().ToLowerInvariant()} role on repo {repo}");
    }

    public static IResult Forbidden(string message) => Results.Json(new { error = "Forbidden", message }, statusCode: 403);

    public static async Task<bool> HasRoleAsync(IAccessStore access, Principal? p, string repo, RepoRole role, CancellationToken ct) =>
        p is null || p.IsAdmin || await access.GetRoleAsync(p.User, repo, ct).ConfigureAwait(false) is { } has && has >= role;

    /// <summary>Whether the caller (null: auth off) may read the repo; for filtering listings.</summary>
    public static Task<bool> CanReadAsync(HttpContext http, IAccessStore access, string repo, CancellationToken ct) =>
        HasRoleAsync(access, Caller(http), repo, RepoRole.Reader, ct);
}
