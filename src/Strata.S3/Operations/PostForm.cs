using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Strata.S3.Errors;

namespace Strata.S3.Operations;

/// <summary>
/// A browser POST form read up to its file: the fields before it (names lower-cased, first one
/// wins), and the file part, whose body is left unread so the caller can stream it.
/// </summary>
public sealed class PostForm
{
    /// <summary>S3's cap on everything before the file.</summary>
    public const int MaxFieldBytes = 20 * 1024;

    public required Dictionary<string, string> Fields { get; init; }
    /// <summary>The file part's body; read it once.</summary>
    public required Stream File { get; init; }
    public string? FileName { get; init; }
    public string? FileContentType { get; init; }

    /// <summary>The multipart boundary of a form's Content-Type; null when the request is not multipart/form-data.</summary>
    public static string? Boundary(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mt) || !mt.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return null;
        var b = HeaderUtilities.RemoveQuotes(mt.Boundary).Value;
        // RFC 2046: 1-70 characters.
        return string.IsNullOrEmpty(b) || b.Length > 70 ? null : b;
    }

    /// <summary>
    /// Reads the fields up to the part named "file". Malformed multipart is MalformedPOSTRequest,
    /// fields beyond 20 KB MaxPostPreDataLengthExceededError, no file IncorrectNumberOfFilesInPostRequest.
    /// </summary>
    public static async Task<PostForm> ReadAsync(Stream body, string boundary, CancellationToken ct)
    {
        var reader = new MultipartReader(boundary, body) { HeadersCountLimit = 16, HeadersLengthLimit = 8192 };
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        long total = 0;
        var buf = new byte[4096];
        try
        {
            while (await reader.ReadNextSectionAsync(ct).ConfigureAwait(false) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var cd) || !cd.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                    throw new S3Exception(S3ErrorCode.MalformedPOSTRequest, "every part of the form needs Content-Disposition: form-data with a name");
                var name = HeaderUtilities.RemoveQuotes(cd.Name).Value ?? "";
                if (name.Equals("file", StringComparison.OrdinalIgnoreCase))
                {
                    var fileName = HeaderUtilities.RemoveQuotes(cd.FileNameStar).Value is { Length: > 0 } star ? star : HeaderUtilities.RemoveQuotes(cd.FileName).Value;
                    return new PostForm
                    {
                        Fields = fields, File = new MalformedAsPost(section.Body), FileName = fileName, FileContentType = section.ContentType,
                    };
                }
                using var value = new MemoryStream();
                int n;
                while ((n = await section.Body.ReadAsync(buf, ct).ConfigureAwait(false)) > 0)
                {
                    total += n;
                    if (total + name.Length > MaxFieldBytes) throw new S3Exception(S3ErrorCode.MaxPostPreDataLengthExceededError);
                    value.Write(buf, 0, n);
                }
                total += name.Length;
                if (total > MaxFieldBytes) throw new S3Exception(S3ErrorCode.MaxPostPreDataLengthExceededError);
                fields.TryAdd(name.ToLowerInvariant(), Encoding.UTF8.GetString(value.GetBuffer(), 0, (int)value.Length));
            }
        }
        catch (Exception e) when (IsMalformed(e))
        {
            throw new S3Exception(S3ErrorCode.MalformedPOSTRequest);
        }
        throw new S3Exception(S3ErrorCode.IncorrectNumberOfFilesInPostRequest);
    }

    // MultipartReader reports a body that is not multipart (bad boundary, cut short, lines too
    // long) as InvalidDataException or IOException; a client that went away cancels instead.
    // Kestrel's own errors (timeouts, a reset connection) are IOExceptions too, and stay what they are.
    private static bool IsMalformed(Exception e) =>
        e is InvalidDataException or (IOException and not Microsoft.AspNetCore.Http.BadHttpRequestException and not Microsoft.AspNetCore.Connections.ConnectionResetException);

    /// <summary>The file part's body, whose framing errors are the client's: MalformedPOSTRequest, not a server failure.</summary>
    private sealed class MalformedAsPost(Stream inner) : Streaming.ReadOnlyStream
    {
        private long _read;
        protected override long BytesSoFar => _read;
        public override bool CanRead => true;
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            try
            {
                var n = await inner.ReadAsync(buffer, ct).ConfigureAwait(false);
                _read += n;
                return n;
            }
            catch (Exception e) when (IsMalformed(e))
            {
                throw new S3Exception(S3ErrorCode.MalformedPOSTRequest);
            }
        }
    }
}
