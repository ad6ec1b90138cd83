namespace Strata.S3.Errors;

/// <summary>An S3 error to answer with. Message defaults to the table's.</summary>
public sealed class S3Exception(S3ErrorCode code, string? message = null) : Exception(message ?? S3ErrorTable.Lookup(code).Message)
{
    public S3ErrorCode Code { get; } = code;
    public int Status => S3ErrorTable.Lookup(Code).Status;
    /// <summary>Extra headers to send with the error (e.g. x-amz-delete-marker).</summary>
    public Dictionary<string, string> Headers { get; } = [];
}
