using System.Text;
using System.Text.Json;
using Strata.Core;
using static Strata.Server.WebConsole.Html;

namespace Strata.Server.WebConsole;

/// <summary>A file's preview: text, CSV/TSV as a table, JSON pretty-printed, images inline. Reads at most <see cref="MaxBytes"/>.</summary>
internal static class Preview
{
    public const int MaxBytes = 256 * 1024;
    private const int MaxRows = 1000;
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private static readonly Dictionary<string, string> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        [".png"] = "image/png", [".jpg"] = "image/jpeg", [".jpeg"] = "image/jpeg", [".gif"] = "image/gif",
        [".webp"] = "image/webp", [".svg"] = "image/svg+xml", [".bmp"] = "image/bmp", [".ico"] = "image/x-icon",
        [".csv"] = "text/csv", [".tsv"] = "text/tab-separated-values", [".json"] = "application/json",
        [".txt"] = "text/plain", [".md"] = "text/markdown",
    };

    /// <summary>The stored content type unless it is a generic one, else a guess from the extension.</summary>
    public static string ContentType(string path, FileEntry f)
    {
        var stored = f.Header("content-type");
        if (stored is not null && stored != "application/octet-stream" && stored != "binary/octet-stream") return stored;
        return Types.GetValueOrDefault(Path.GetExtension(path), "application/octet-stream");
    }

    public static bool IsImage(string path, FileEntry f) => ContentType(path, f).StartsWith("image/", StringComparison.Ordinal);

    /// <summary>The first <paramref name="max"/> bytes of a file.</summary>
    public static async Task<byte[]> ReadHeadAsync(VersionedStore store, FileEntry f, int max, CancellationToken ct)
    {
        var n = (int)Math.Min(f.Size, max);
        using var ms = new MemoryStream(n);
        await ContentReader.CopyToAsync(store.Chunks, f, 0, n, ms, ct);
        return ms.ToArray();
    }

    /// <summary>The text of a file if it is small enough and valid UTF-8 (no NUL), else null.</summary>
    public static string? Text(byte[] bytes)
    {
        try
        {
            var s = StrictUtf8.GetString(bytes);
            return s.Contains('\0') ? null : s;
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    public static async Task<string> RenderAsync(VersionedStore store, string repo, string commitId, string path, FileEntry f, CancellationToken ct)
    {
        var type = ContentType(path, f);
        if (type.StartsWith("image/", StringComparison.Ordinal))
            return $"<img class=\"preview\" src=\"{E(RawUrl(repo, commitId, path, false))}\" alt=\"{E(path)}\">";
        if (f.Size == 0) return "<p class=\"muted\">Empty file.</p>";
        var bytes = await ReadHeadAsync(store, f, MaxBytes, ct);
        var whole = bytes.Length == f.Size;
        // A cut may split a UTF-8 sequence: drop the incomplete tail before decoding.
        var text = Text(whole ? bytes : TrimPartialUtf8(bytes));
        if (text is null) return "<p class=\"muted\">Binary file: no preview. Download it instead.</p>";
        var note = whole ? "" : $"<p class=\"muted\">Showing the first {Size(bytes.Length)} of {Size(f.Size)}.</p>";
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".csv" or ".tsv" || type is "text/csv" or "text/tab-separated-values")
            return note + CsvTable(text, ext == ".tsv" || type == "text/tab-separated-values" ? '\t' : ',', whole);
        if (whole && (ext == ".json" || type.Contains("json", StringComparison.Ordinal)))
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                var pretty = JsonSerializer.Serialize(doc.RootElement, new JsonSerializerOptions { WriteIndented = true });
                return $"<pre class=\"json\" aria-label=\"JSON\">{E(pretty)}</pre>";
            }
            catch (JsonException)
            {
                note = "<p class=\"muted\">Not valid JSON; shown as text.</p>";
            }
        }
        return note + $"<pre class=\"text\">{E(text)}</pre>";
    }

    private static byte[] TrimPartialUtf8(byte[] b)
    {
        var end = b.Length;
        var back = 0;
        // Step back over continuation bytes to the lead byte of the last sequence; drop it if incomplete.
        while (end - back - 1 >= 0 && back < 4 && (b[end - back - 1] & 0xC0) == 0x80) back++;
        var lead = end - back - 1;
        if (lead < 0) return b;
        var need = (b[lead] & 0x80) == 0 ? 1 : (b[lead] & 0xE0) == 0xC0 ? 2 : (b[lead] & 0xF0) == 0xE0 ? 3 : 4;
        return back + 1 < need ? b[..lead] : b;
    }

    /// <summary>A CSV (RFC 4180 quoting) as a table, first row as the header; at most <see cref="MaxRows"/> rows.</summary>
    private static string CsvTable(string text, char sep, bool whole)
    {
        var rows = ParseCsv(text, sep, MaxRows + 1);
        if (!whole && rows.Count > 1) rows.RemoveAt(rows.Count - 1); // the last row may be cut
        if (rows.Count == 0) return "<p class=\"muted\">Empty.</p>";
        var b = new StringBuilder("<table class=\"csv\"><thead><tr>");
        foreach (var h in rows[0]) b.Append($"<th scope=\"col\">{E(h)}</th>");
        b.Append("</tr></thead><tbody>");
        foreach (var r in rows.Skip(1).Take(MaxRows - 1))
        {
            b.Append("<tr>");
            foreach (var c in r) b.Append($"<td>{E(c)}</td>");
            b.Append("</tr>");
        }
        b.Append("</tbody></table>");
        if (rows.Count > MaxRows) b.Append($"<p class=\"muted\">The first {MaxRows} rows.</p>");
        return b.ToString();
    }

    internal static List<List<string>> ParseCsv(string text, char sep, int maxRows)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length && rows.Count < maxRows; i++)
        {
            var ch = text[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else cell.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == sep) { row.Add(cell.ToString()); cell.Clear(); }
            else if (ch == '\n' || ch == '\r')
            {
                if (ch == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                row.Add(cell.ToString()); cell.Clear();
                rows.Add(row); row = [];
            }
            else cell.Append(ch);
        }
        if ((cell.Length > 0 || row.Count > 0) && rows.Count < maxRows) { row.Add(cell.ToString()); rows.Add(row); }
        return rows;
    }
}
