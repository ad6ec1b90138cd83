using System.Globalization;
using Strata.S3.Errors;

namespace Strata.S3.Operations;

/// <summary>
/// A single byte range as S3 reads the Range header: <c>bytes=a-b</c>, <c>bytes=a-</c>,
/// <c>bytes=-n</c>. Syntax that HTTP says to ignore (other units, garbage, a last byte before the
/// first) yields null: the whole object is sent, as S3 does. A well-formed range that selects
/// nothing is InvalidRange (416). Several ranges are not served (S3 serves none); they answer
/// the whole object, or 416 when every one of them is well-formed and past the end.
/// </summary>
public static class RangeHeader
{
    public static (long Start, long Length)? Parse(string? header, long size)
    {
        if (string.IsNullOrWhiteSpace(header)) return null;
        var h = header.Trim();
        if (!h.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase)) return null;
        var spec = h[6..].Trim();
        if (spec.Contains(','))
        {
            var unsatisfiable = 0;
            var parts = spec.Split(',', StringSplitOptions.TrimEntries);
            foreach (var part in parts)
            {
                try
                {
                    if (ParseOne(part, size) is null) return null;
                }
                catch (S3Exception)
                {
                    unsatisfiable++;
                }
            }
            if (unsatisfiable == parts.Length) throw Unsatisfiable(size);
            return null;
        }
        return ParseOne(spec, size);
    }

    private static (long Start, long Length)? ParseOne(string spec, long size)
    {
        var dash = spec.IndexOf('-');
        if (dash < 0) return null;
        var a = spec[..dash].Trim();
        var b = spec[(dash + 1)..].Trim();
        const NumberStyles N = NumberStyles.None;
        if (a.Length == 0)
        {
            if (!long.TryParse(b, N, CultureInfo.InvariantCulture, out var suffix)) return null;
            if (suffix == 0 || size == 0) throw Unsatisfiable(size);
            var len = Math.Min(suffix, size);
            return (size - len, len);
        }
        if (!long.TryParse(a, N, CultureInfo.InvariantCulture, out var start)) return null;
        long end;
        if (b.Length == 0) end = long.MaxValue;
        else if (!long.TryParse(b, N, CultureInfo.InvariantCulture, out end)) return null;
        if (end < start) return null;
        if (start >= size) throw Unsatisfiable(size);
        end = Math.Min(end, size - 1);
        return (start, end - start + 1);
    }

    private static S3Exception Unsatisfiable(long size)
    {
        var e = new S3Exception(S3ErrorCode.InvalidRange);
        e.Headers["Content-Range"] = $"bytes */{size}";
        return e;
    }
}
