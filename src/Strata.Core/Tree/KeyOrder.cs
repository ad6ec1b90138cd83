namespace Strata.Core.Tree;

/// <summary>
/// Orders keys as S3 does: by their UTF-8 bytes. That is ordinal UTF-16 order except that
/// surrogates (U+D800-DFFF) must sort after U+E000-FFFF; the fix-up below does exactly that.
/// </summary>
public sealed class KeyOrder : IComparer<string>
{
    public static readonly KeyOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        var n = Math.Min(x.Length, y.Length);
        for (var i = 0; i < n; i++)
        {
            var a = x[i];
            var b = y[i];
            if (a == b) continue;
            return Fix(a) - Fix(b);
        }
        return x.Length - y.Length;
    }

    private static int Fix(char c) => c >= 0xD800 ? (c >= 0xE000 ? c - 0x800 : c + 0x2000) : c;
}
