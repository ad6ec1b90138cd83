using System.Xml;
using System.Xml.Linq;
using Strata.S3.Errors;
using Strata.S3.Xml;

namespace Strata.S3.Operations;

/// <summary>Tag sets as S3 reads and writes them: the Tagging document, the x-amz-tagging header, and S3's limits.</summary>
public static class Tags
{
    public const int MaxObjectTags = 10;
    public const int MaxBucketTags = 50;
    public const int MaxKeyLength = 128;
    public const int MaxValueLength = 256;

    /// <summary>A &lt;Tagging&gt;&lt;TagSet&gt;&lt;Tag&gt;&lt;Key/&gt;&lt;Value/&gt;... body; anything else is MalformedXML.</summary>
    public static List<KeyValuePair<string, string>> FromXml(XElement? body, int maxTags)
    {
        if (body is null || body.Name.LocalName != "Tagging" || body.Kid("TagSet") is not { } set)
            throw new S3Exception(S3ErrorCode.MalformedXML);
        var tags = new List<KeyValuePair<string, string>>();
        foreach (var tag in set.Kids("Tag"))
        {
            if (tag.Kid("Key") is not { } k) throw new S3Exception(S3ErrorCode.MalformedXML);
            tags.Add(new(k.Value, tag.Kid("Value")?.Value ?? ""));
        }
        Validate(tags, maxTags);
        return tags;
    }

    /// <summary>x-amz-tagging: URL query form (<c>a=1&amp;b=2</c>, a key without '=' has an empty value).</summary>
    public static List<KeyValuePair<string, string>> FromHeader(string? header)
    {
        var tags = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrEmpty(header)) return tags;
        foreach (var pair in header.Split('&'))
        {
            if (pair.Length == 0) continue;
            var eq = pair.IndexOf('=');
            tags.Add(eq < 0 ? new(Unescape(pair), "") : new(Unescape(pair[..eq]), Unescape(pair[(eq + 1)..])));
        }
        Validate(tags, MaxObjectTags);
        return tags;
    }

    private static string Unescape(string s)
    {
        try
        {
            return Uri.UnescapeDataString(s.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            throw new S3Exception(S3ErrorCode.InvalidArgument, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.");
        }
    }

    /// <summary>S3's limits, with S3's messages.</summary>
    public static void Validate(IReadOnlyList<KeyValuePair<string, string>> tags, int maxTags)
    {
        if (tags.Count > maxTags)
            throw new S3Exception(S3ErrorCode.InvalidTag, maxTags == MaxObjectTags ? "Object tags cannot be greater than 10" : "Bucket tag count cannot be greater than 50");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (k, v) in tags)
        {
            if (k.Length == 0 || k.Length > MaxKeyLength)
                throw new S3Exception(S3ErrorCode.InvalidTag, k.Length == 0 ? "The TagKey you have provided is invalid" : "The TagKey you have provided is too long, max 128");
            if (v.Length > MaxValueLength) throw new S3Exception(S3ErrorCode.InvalidTag, "The TagValue you have provided is too long, max 256");
            if (!seen.Add(k)) throw new S3Exception(S3ErrorCode.InvalidTag, "Cannot provide multiple Tags with the same key");
        }
    }

    /// <summary>The TagSet element, ordered by key (as S3 and RGW list it; clients compare lists).</summary>
    public static void WriteTagSet(XmlWriter w, IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        w.WriteStartElement("TagSet");
        foreach (var (k, v) in tags.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            w.WriteStartElement("Tag");
            w.El("Key", k);
            w.El("Value", v);
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }
}
