namespace Strata.Core.Auth;

/// <summary>A user's role on a repo; each includes the ones before it.</summary>
public enum RepoRole
{
    Reader = 1,
    Writer = 2,
    Owner = 3,
}

/// <summary>Who made a request: a user, with their secret (the token) for signature checks.</summary>
public sealed record Principal(string User, bool IsAdmin, string Token);

/// <summary>Users, their tokens and their roles on repos.</summary>
public interface IAccessStore
{
    /// <summary>The principal a token (= access key = secret) belongs to, or null.</summary>
    Task<Principal?> FindTokenAsync(string token, CancellationToken ct);
    Task CreateUserAsync(string user, bool admin, CancellationToken ct);
    Task AddTokenAsync(string user, string token, CancellationToken ct);
    Task<RepoRole?> GetRoleAsync(string user, string repo, CancellationToken ct);
    Task SetRoleAsync(string user, string repo, RepoRole? role, CancellationToken ct);

    /// <summary>
    /// Makes <paramref name="candidate"/> the root token (of admin user "root") unless the store
    /// already has one, atomically, and returns the root token: every node sharing the store,
    /// however many start at once, ends up with the same one.
    /// </summary>
    Task<string> EnsureRootTokenAsync(string candidate, CancellationToken ct);
}
