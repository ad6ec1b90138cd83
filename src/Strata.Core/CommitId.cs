namespace Strata.Core;

/// <summary>
/// Commit ids: 32 lowercase hex characters. New ones are UUIDv7 (a millisecond timestamp, then 74
/// random bits), so ids made close in time sort close together: every index keyed by commit id
/// (the commits table, versions by commit) then takes a group of commits on one page instead of one
/// random page each. Ids made before that are random; both kinds are valid.
/// </summary>
public static class CommitId
{
    public static string New() => Guid.CreateVersion7().ToString("N");

    public static bool IsValid(ReadOnlySpan<char> s)
    {
        if (s.Length != 32) return false;
        foreach (var c in s)
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        return true;
    }
}
