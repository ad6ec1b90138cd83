using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Core;
using Strata.Core.Auth;
using Strata.Server.Admin;

// Not "Strata.Server.Console": a namespace of that name would shadow System.Console in all code under Strata.Server.
namespace Strata.Server.WebConsole;

/// <summary>
/// The web console on the admin port: server-rendered HTML pages over the store (the JSON API
/// stays under /api). With auth on, /login takes any user's token and keeps it in an HttpOnly,
/// SameSite=Strict cookie; every page and form checks it and the role that the matching admin
/// API route needs (see ConsoleAccess). Mutations are POST forms, refused when the Origin (or
/// Referer) names another site.
/// </summary>
public static class ConsoleUi
{
    public const string Cookie = "strata_token";

    public static void Map(IEndpointRouteBuilder e, VersionedStore store, IAccessStore access, bool authEnabled)
    {
        e.MapGet("/static/console.css", () => Results.Text(Layout.Css, "text/css; charset=utf-8"));
        e.MapGet("/static/console.js", () => Results.Text(Layout.Js, "text/javascript; charset=utf-8"));

        e.MapGet("/login", (HttpContext http) => authEnabled ? LoginPage(http.Request.Query["next"], null, 200) : Results.Redirect("/"));
        e.MapPost("/login", async (HttpContext http, CancellationToken ct) =>
        {
            if (!SameOrigin(http.Request)) return Forbidden();
            var form = await http.Request.ReadFormAsync(ct);
            var token = form["token"].ToString().Trim();
            var next = form["next"].ToString();
            var p = token.Length == 0 ? null : await access.FindTokenAsync(token, ct);
            if (p is null) return LoginPage(next, "That token is not valid.", 401);
            http.Response.Cookies.Append(Cookie, token, new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", Secure = http.Request.IsHttps, IsEssential = true,
            });
            return Results.Redirect(SafeNext(next), permanent: false);
        });
        e.MapPost("/logout", (HttpContext http) =>
        {
            if (!SameOrigin(http.Request)) return Forbidden();
            http.Response.Cookies.Delete(Cookie, new CookieOptions { Path = "/" });
            return Results.Redirect(authEnabled ? "/login" : "/");
        });

        var ui = e.MapGroup("");
        ui.AddEndpointFilter(async (ctx, next) =>
        {
            var http = ctx.HttpContext;
            if (authEnabled)
            {
                if (await SignedInAsync(http, access, http.RequestAborted) is not { } p)
                    return HttpMethods.IsGet(http.Request.Method)
                        ? Results.Redirect("/login?next=" + Html.Q(http.Request.Path + http.Request.QueryString))
                        : Results.Text("sign in first", statusCode: 401);
                AdminAuthorization.SetCaller(http, p);
                await Tokens.NoteUseAsync(access, p, DateTimeOffset.UtcNow, http.RequestAborted);
            }
            if (!HttpMethods.IsGet(http.Request.Method) && !SameOrigin(http.Request)) return Forbidden();
            // The role check of the admin API, on POSTs as on pages: a hidden form is no protection.
            if (await ConsoleAccess.DenyAsync(http, access, http.RequestAborted) is { } why)
                return Page("Forbidden", Layout.Error(why) + "<p><a href=\"/\">Back to the repos</a></p>", authEnabled, null, 403);
            try
            {
                return await next(ctx);
            }
            catch (StrataException ex)
            {
                var status = ex.Error switch
                {
                    StoreError.NoSuchRepo or StoreError.NoSuchBranch or StoreError.NoSuchVersion or StoreError.NoSuchKey or StoreError.NoOpenCommit => 404,
                    StoreError.BranchExists or StoreError.CommitOpen or StoreError.GcRunning => 409,
                    StoreError.GcExpired or StoreError.ConflictRetriesExhausted => 503,
                    StoreError.Corrupt => 500,
                    _ => 400,
                };
                return Page("Error", Layout.Error(ex.Message) + "<p><a href=\"/\">Back to the repos</a></p>", authEnabled, null, status);
            }
        });
        RepoPages.Map(ui, store, access, authEnabled);
        CommitPages.Map(ui, store, authEnabled);
        FilePages.Map(ui, store, access, authEnabled);
        DiffPages.Map(ui, store, authEnabled);
    }

    public static IResult Page(string title, string body, bool authEnabled, string? repo = null, int status = 200) =>
        new HtmlResult(Layout.Page(title, body, authEnabled, repo), status);

    private static IResult Forbidden() => Results.Text("cross-site request refused", statusCode: 403);

    /// <summary>The cookie's principal: any user's valid token; what it may do is checked per route.</summary>
    private static async Task<Principal?> SignedInAsync(HttpContext http, IAccessStore access, CancellationToken ct)
    {
        var token = http.Request.Cookies[Cookie];
        return string.IsNullOrEmpty(token) ? null : await access.FindTokenAsync(token, ct);
    }

    /// <summary>
    /// CSRF guard beside the SameSite=Strict cookie: a browser names the page that sent a POST in
    /// Origin (or Referer); it must be this host. A request with neither (curl, tests) passes.
    /// </summary>
    internal static bool SameOrigin(HttpRequest r)
    {
        var origin = r.Headers.Origin.ToString();
        if (origin.Length == 0 || origin == "null")
        {
            var referer = r.Headers.Referer.ToString();
            if (referer.Length == 0) return origin.Length == 0;
            origin = referer;
        }
        return Uri.TryCreate(origin, UriKind.Absolute, out var u)
            && string.Equals(u.Authority, r.Host.Value, StringComparison.OrdinalIgnoreCase)
            && u.Scheme == r.Scheme;
    }

    /// <summary>Only a local path: the login form must not redirect to another site.</summary>
    private static string SafeNext(string? next) =>
        next is { Length: > 0 } n && n[0] == '/' && !n.StartsWith("//", StringComparison.Ordinal) && !n.StartsWith("/\\", StringComparison.Ordinal) ? n : "/";

    private static IResult LoginPage(string? next, string? error, int status)
    {
        var body = new StringBuilder();
        if (error is not null) body.Append(Layout.Error(error));
        body.Append($"""
            <form method="post" action="/login" class="row">
            {Html.Hidden("next", SafeNext(next))}
            <label for="token">Token<input id="token" name="token" type="password" autocomplete="current-password" required size="40"></label>
            <button type="submit">Log in</button>
            </form>
            <p class="muted">Use your token (from <code>strata auth token create</code>) or the root token (printed at first start, kept in <code>&lt;data-dir&gt;/root-token</code>).</p>
            """);
        return new HtmlResult(Layout.Page("Log in", body.ToString(), authEnabled: false), status);
    }

    private sealed class HtmlResult(string html, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext http) => Html.WriteAsync(http, html, status);
    }
}
