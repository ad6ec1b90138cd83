using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Core;

namespace Strata.Server.Admin;

/// <summary>
/// Permanent version deletes. GET /api/repos/{repo}/versions/{version}?path=K says which branches'
/// history still holds that version of K; DELETE erases it (owner role) from ?branch=B, or from every
/// branch holding it with ?allBranches=true. Each purge is in the audit log (GET /api/auth/audit).
/// </summary>
internal static class PurgeApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(RouteGroupBuilder api, VersionedStore store)
    {
        api.MapGet("/repos/{repo}/versions/{version}", async (string repo, string version, string path, CancellationToken ct) =>
        {
            var key = path.TrimStart('/');
            var row = await store.Meta.GetVersionAsync(repo, key, version, ct)
                ?? throw new StrataException(StoreError.NoSuchVersion, $"{version} is not a version of '{key}' in repo {repo}");
            var commit = await store.Commits.GetAsync(version, ct)
                ?? throw new StrataException(StoreError.Corrupt, $"commit {version} is missing");
            var holding = await store.Purges.BranchesHoldingAsync(repo, commit, ct);
            return Results.Json(new { repo, path = key, version, isDeleteMarker = row.IsDelete, size = row.Size, etag = row.ETag, branches = holding.Select(b => b.Name) }, Json);
        });
        api.MapDelete("/repos/{repo}/versions/{version}", async (HttpContext http, string repo, string version, string path, string? branch, bool? allBranches, CancellationToken ct) =>
        {
            var key = path.TrimStart('/');
            var all = allBranches == true;
            if (branch is null)
            {
                if (!all) return Results.Json(new { error = "InvalidRequest", message = "name the branch (?branch=) or erase it from all of them (?allBranches=true)" }, Json, statusCode: 400);
                var commit = await store.Commits.GetAsync(version, ct)
                    ?? throw new StrataException(StoreError.NoSuchVersion, $"{version} is not a version of '{key}' in repo {repo}");
                branch = (await store.Purges.BranchesHoldingAsync(repo, commit, ct)).FirstOrDefault()?.Name
                    ?? throw new StrataException(StoreError.NoSuchVersion, $"no branch of repo {repo} holds {version}");
            }
            var r = await store.Purges.PurgeAsync(repo, branch, key, version, all, AdminAuthorization.Actor(http), ct);
            return Results.Json(new { repo, path = r.Key, version = r.VersionId, wasDeleteMarker = r.WasDeleteMarker, branches = r.Branches, commitsRewritten = r.CommitsRewritten }, Json);
        });
    }
}
