namespace Strata.Core.Auth;

/// <summary>A user's role on a repo; each includes the ones before it.</summary>
public enum RepoRole
{
    Reader = 1,
    Writer = 2,
    Owner = 3,
}

/// <summary>
/// Who made a request: a user, with the token they presented (kept in memory only, as the HMAC
/// secret for signature checks), that token's row id and when it was last noted as used.
/// </summary>
public sealed record Principal(string User, bool IsAdmin, string Token)
{
    /// <summary>The grantee of a repo's anonymous read (S3's public-read): no user name can be "*".</summary>
    public const string Everyone = "*";

    /// <summary>An unsigned request, let in only where a repo grants <see cref="Everyone"/> a role.</summary>
    public static Principal Anonymous { get; } = new(Everyone, false, "");

    public bool IsAnonymous => User == Everyone;

    public string TokenId { get; init; } = "";
    public long LastUsedUnixMs { get; init; }
}

/// <summary>
/// Users, their tokens and their roles on repos, and the audit log of changes to them. Tokens are
/// stored as SHA-256 hashes only (see <see cref="Tokens.Hash"/>); no method returns a stored token.
/// </summary>
public interface IAccessStore
{
    /// <summary>The principal a token (= access key = secret) belongs to, or null. Looks up the token's hash.</summary>
    Task<Principal?> FindTokenAsync(string token, CancellationToken ct);
    /// <summary>Creates the user, or sets its admin flag if it exists.</summary>
    Task CreateUserAsync(string user, bool admin, CancellationToken ct);
    Task<IReadOnlyList<UserInfo>> ListUsersAsync(CancellationToken ct);
    /// <summary>Deletes the user with its tokens and grants; false if there was no such user.</summary>
    Task<bool> DeleteUserAsync(string user, CancellationToken ct);

    /// <summary>Stores the token's hash for the user (re-assigning it if the hash exists) and returns the token's id.</summary>
    Task<string> AddTokenAsync(string user, string token, CancellationToken ct);
    Task<IReadOnlyList<TokenInfo>> ListTokensAsync(string user, CancellationToken ct);
    Task<TokenInfo?> GetTokenAsync(string id, CancellationToken ct);
    /// <summary>Deletes the token row; true if there was one. The root token cannot be revoked, only rotated.</summary>
    Task<bool> RevokeTokenAsync(string id, CancellationToken ct);
    /// <summary>Records a use of the token unless one at most <paramref name="resolution"/> before <paramref name="now"/> is recorded.</summary>
    Task TouchTokenAsync(string id, DateTimeOffset now, TimeSpan resolution, CancellationToken ct);

    Task<RepoRole?> GetRoleAsync(string user, string repo, CancellationToken ct);
    Task SetRoleAsync(string user, string repo, RepoRole? role, CancellationToken ct);
    /// <summary>Grants of one user, or on one repo, or all (a null filter matches everything).</summary>
    Task<IReadOnlyList<RoleGrant>> ListGrantsAsync(string? user, string? repo, CancellationToken ct);

    /// <summary>
    /// Makes <paramref name="candidate"/> the root token (of admin user "root") unless the store
    /// already has one, atomically, and repairs the root user and token row; true if the candidate
    /// is the root token. Only the root token's hash is stored, so a node that loses the race, or
    /// whose copy is stale, cannot learn the real one: it gets false.
    /// </summary>
    Task<bool> EnsureRootTokenAsync(string candidate, CancellationToken ct);
    /// <summary>Replaces the root token (its hash and its token row) with <paramref name="newToken"/>; the old one stops working at once.</summary>
    Task RotateRootTokenAsync(string newToken, CancellationToken ct);

    /// <summary>Appends an audit entry (its Seq is assigned by the store).</summary>
    Task AppendAuditAsync(AuditEntry entry, CancellationToken ct);
    /// <summary>Audit entries with Seq greater than <paramref name="after"/>, oldest first.</summary>
    Task<IReadOnlyList<AuditEntry>> ListAuditAsync(long after, int limit, CancellationToken ct);
}
