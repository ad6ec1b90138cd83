using System.Text;

namespace Strata.S3.Auth;

/// <summary>What signature checks read of a request, independent of ASP.NET (so AWS's examples can be fed in directly).</summary>
public sealed record RequestView(string Method, string RawPath, string RawQuery, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>A header's value (repeated headers joined with ','), or null.</summary>
    public string? Header(string name)
    {
        string? v = null;
        foreach (var (k, value) in Headers)
            if (string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) v = v is null ? value : v + "," + value;
        return v;
    }

    /// <summary>Query parameters decoded, in the order sent ('+' stays '+', as S3 signs it).</summary>
    public List<KeyValuePair<string, string>> QueryPairs()
    {
        var list = new List<KeyValuePair<string, string>>();
        foreach (var part in RawQuery.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            list.Add(eq < 0 ? new(Unescape(part), "") : new(Unescape(part[..eq]), Unescape(part[(eq + 1)..])));
        }
        return list;
    }

    public string? Query(string name) => QueryPairs().FirstOrDefault(p => p.Key == name).Value;

    private static string Unescape(string s) => Uri.UnescapeDataString(s);
}

/// <summary>AWS's URI encoding for signatures: every byte but A-Z a-z 0-9 - _ . ~ is %XX (and '/' too unless it is a path).</summary>
public static class AwsUri
{
    public static string Encode(string s, bool keepSlash)
    {
        var sb = new StringBuilder(s.Length + 16);
        foreach (var b in Encoding.UTF8.GetBytes(s))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' || (keepSlash && c == '/')) sb.Append(c);
            else sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
