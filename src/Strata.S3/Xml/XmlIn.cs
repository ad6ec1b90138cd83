using System.Xml;
using System.Xml.Linq;
using Strata.S3.Errors;

namespace Strata.S3.Xml;

/// <summary>Reads small XML request bodies (DeleteObjects, versioning, ...) with a size cap and no DTDs.</summary>
public static class XmlIn
{
    public static async Task<XElement?> ReadAsync(Stream body, long maxBytes, CancellationToken ct)
    {
        using var ms = new MemoryStream();
        var buf = new byte[8192];
        int n;
        while ((n = await body.ReadAsync(buf, ct).ConfigureAwait(false)) > 0)
        {
            if (ms.Length + n > maxBytes) throw new S3Exception(S3ErrorCode.MalformedXML, $"request body exceeds {maxBytes} bytes");
            ms.Write(buf, 0, n);
        }
        if (ms.Length == 0) return null;
        ms.Position = 0;
        try
        {
            using var r = XmlReader.Create(ms, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, Async = true });
            return (await XDocument.LoadAsync(r, LoadOptions.None, ct).ConfigureAwait(false)).Root;
        }
        catch (XmlException)
        {
            throw new S3Exception(S3ErrorCode.MalformedXML);
        }
    }

    /// <summary>Child elements by local name, ignoring namespaces (clients differ in whether they send S3's).</summary>
    public static IEnumerable<XElement> Kids(this XElement e, string name) => e.Elements().Where(x => x.Name.LocalName == name);
    public static XElement? Kid(this XElement e, string name) => e.Kids(name).FirstOrDefault();
}
