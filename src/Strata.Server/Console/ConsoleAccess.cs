using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Core.Auth;
using Strata.Server.Admin;
using Need = Strata.Server.Admin.AdminAuthorization.Need;

namespace Strata.Server.WebConsole;

/// <summary>
/// The console's roles: each console route is the admin API route that does the same thing, so
/// <see cref="AdminAuthorization.Required"/> and <see cref="AdminAuthorization.HasRoleAsync"/>
/// decide both, and the console can never allow what the API refuses.
/// </summary>
internal static class ConsoleAccess
{
    /// <summary>Console routes whose admin API twin has another method or pattern; the rest map as they are.</summary>
    private static readonly Dictionary<(string Method, string Pattern), (string Method, string Pattern)> Twins = new()
    {
        [("GET", "/")] = ("GET", "/repos"),
        [("POST", "/repos/{repo}/upload")] = ("PUT", "/repos/{repo}/content"),
        [("POST", "/repos/{repo}/branches/{branch}/delete")] = ("DELETE", "/repos/{repo}/branches/{branch}"),
        // start, finish and abandon all need the same role in the API.
        [("POST", "/repos/{repo}/branches/{branch}/commit/{action}")] = ("POST", "/repos/{repo}/branches/{branch}/commit"),
    };

    public static Need Required(HttpContext http)
    {
        var key = (http.Request.Method, (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "");
        var (method, pattern) = Twins.TryGetValue(key, out var twin) ? twin : key;
        return AdminAuthorization.Required(method, pattern);
    }

    /// <summary>Null if the signed-in caller (none: auth off) may use the route, else why not.</summary>
    public static async Task<string?> DenyAsync(HttpContext http, IAccessStore access, CancellationToken ct)
    {
        var p = AdminAuthorization.Caller(http);
        var need = Required(http);
        if (p is null || p.IsAdmin || need == Need.Authenticated) return null;
        if (need == Need.Admin) return $"User {p.User} is not an admin.";
        var repo = Repo(http);
        var role = need switch { Need.Reader => RepoRole.Reader, Need.Writer => RepoRole.Writer, _ => RepoRole.Owner };
        return await AdminAuthorization.HasRoleAsync(access, p, repo, role, ct) ? null
            : $"User {p.User} needs the {role.ToString().ToLowerInvariant()} role on repo {repo}.";
    }

    /// <summary>Whether to show a form: the same check its POST handler gets.</summary>
    public static Task<bool> MayAsync(HttpContext http, IAccessStore access, string repo, RepoRole role, CancellationToken ct) =>
        AdminAuthorization.HasRoleAsync(access, AdminAuthorization.Caller(http), repo, role, ct);

    /// <summary>Admins only (and everyone with auth off), as <c>POST /api/repos</c>.</summary>
    public static bool IsAdmin(HttpContext http) => AdminAuthorization.Caller(http) is not { IsAdmin: false };

    private static string Repo(HttpContext http) => http.Request.RouteValues.TryGetValue("repo", out var r) ? r as string ?? "" : "";
}
