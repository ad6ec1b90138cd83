using System.Globalization;
using System.Text;
using System.Xml;
using Microsoft.AspNetCore.Http;

namespace Strata.S3.Xml;

/// <summary>Writes S3 XML responses straight to the response body.</summary>
public static class XmlOut
{
    public const string Ns = "http://s3.amazonaws.com/doc/2006-03-01/";

    private static readonly XmlWriterSettings Settings = new()
    {
        Encoding = new UTF8Encoding(false), Indent = false, CheckCharacters = false,
    };

    /// <param name="ns">The S3 namespace, or null (S3 error documents have none).</param>
    public static async Task WriteAsync(HttpResponse response, string root, Action<XmlWriter> body, CancellationToken ct, int status = 200, string? ns = Ns)
    {
        response.StatusCode = status;
        response.ContentType = "application/xml";
        // Documents are bounded (a listing page is at most 1000 entries), so they are built in
        // memory and sent with one async write: Kestrel forbids the synchronous writes XmlWriter makes.
        using var buffer = new MemoryStream();
        using (var w = XmlWriter.Create(buffer, Settings))
        {
            w.WriteStartDocument();
            if (ns is null) w.WriteStartElement(root);
            else w.WriteStartElement(root, ns);
            body(w);
            w.WriteEndElement();
            w.WriteEndDocument();
        }
        response.ContentLength = buffer.Length;
        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ct).ConfigureAwait(false);
    }

    public static void El(this XmlWriter w, string name, string? value)
    {
        if (value is null) return;
        w.WriteStartElement(name);
        w.WriteString(value);
        w.WriteEndElement();
    }

    public static void El(this XmlWriter w, string name, long value) => w.El(name, value.ToString(CultureInfo.InvariantCulture));
    public static void El(this XmlWriter w, string name, bool value) => w.El(name, value ? "true" : "false");
    public static void El(this XmlWriter w, string name, DateTimeOffset value) => w.El(name, Iso(value));

    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static void Owner(this XmlWriter w, S3Options o, string element = "Owner")
    {
        w.WriteStartElement(element);
        w.El("ID", o.OwnerId);
        w.El("DisplayName", o.OwnerName);
        w.WriteEndElement();
    }
}
