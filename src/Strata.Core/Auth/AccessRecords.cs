namespace Strata.Core.Auth;

public sealed record UserInfo(string Name, bool IsAdmin, DateTimeOffset Created);

/// <summary>A token as listed: never the token itself, which is not stored.</summary>
public sealed record TokenInfo(string Id, string User, DateTimeOffset Created, DateTimeOffset? LastUsed, bool IsRoot);

public sealed record RoleGrant(string User, string Repo, RepoRole Role);

/// <summary>One change of users, tokens or grants: who (user and token id), what, on what, when. Never holds a token.</summary>
public sealed record AuditEntry(long Seq, DateTimeOffset Time, string Actor, string Action, string Target, string Detail);
