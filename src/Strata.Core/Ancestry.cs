namespace Strata.Core;

/// <summary>
/// A parsed version expression: a base (commit id, branch name or HEAD) and either a number of
/// generations back (<c>X^</c>, <c>X^3</c>, <c>X~3</c>, <c>X^^</c>) or an absolute position counted
/// from the branch's first commit (<c>master.1</c>).
/// </summary>
public sealed record VersionExpr(string Base, int Back, long? FromFirst)
{
    public bool IsHead => Base == "HEAD";

    public static VersionExpr? Parse(string text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 256) return null;
        var dot = text.LastIndexOf('.');
        if (dot > 0)
        {
            var b = text[..dot];
            if (!Names.IsValidName(b) || !long.TryParse(text.AsSpan(dot + 1), System.Globalization.NumberStyles.None, null, out var n) || n < 1)
                return null;
            return new VersionExpr(b, 0, n);
        }
        var i = 0;
        while (i < text.Length && text[i] != '^' && text[i] != '~') i++;
        var name = text[..i];
        if (!Names.IsValidName(name)) return null;
        long back = 0;
        while (i < text.Length)
        {
            var op = text[i++];
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
            long n;
            if (i == start) n = 1;
            else if (!long.TryParse(text.AsSpan(start, i - start), out n)) return null;
            if (op == '~' && i == start) n = 1;
            back += n;
            if (back > int.MaxValue) return null;
        }
        return new VersionExpr(name, (int)back, null);
    }
}
