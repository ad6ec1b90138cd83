using System.Security.Cryptography;

namespace Strata.Core;

/// <summary>Commit ids: 32 lowercase hex characters, random.</summary>
public static class CommitId
{
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static bool IsValid(ReadOnlySpan<char> s)
    {
        if (s.Length != 32) return false;
        foreach (var c in s)
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        return true;
    }
}
