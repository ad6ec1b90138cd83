using System.Text;

namespace Strata.Core;

/// <summary>
/// A tag set stored as one text value: URL-encoded <c>k=v&amp;k2=v2</c>, the form S3 uses in
/// x-amz-tagging, which keeps the order and any character.
/// </summary>
public static class TagSet
{
    public static string Encode(IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in tags)
        {
            if (sb.Length > 0) sb.Append('&');
            sb.Append(Uri.EscapeDataString(k)).Append('=').Append(Uri.EscapeDataString(v));
        }
        return sb.ToString();
    }

    public static IReadOnlyList<KeyValuePair<string, string>> Decode(string? text)
    {
        if (string.IsNullOrEmpty(text)) return [];
        var list = new List<KeyValuePair<string, string>>();
        foreach (var pair in text.Split('&'))
        {
            var eq = pair.IndexOf('=');
            list.Add(eq < 0
                ? new(Uri.UnescapeDataString(pair), "")
                : new(Uri.UnescapeDataString(pair[..eq]), Uri.UnescapeDataString(pair[(eq + 1)..])));
        }
        return list;
    }
}
