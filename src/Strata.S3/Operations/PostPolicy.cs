using System.Globalization;
using System.Text.Json;
using Strata.S3.Errors;

namespace Strata.S3.Operations;

/// <summary>One condition of a POST policy: eq / starts-with on a form field (lower-cased), or content-length-range.</summary>
public sealed record PostCondition(string Op, string Field, string Value, long Min = 0, long Max = 0)
{
    public override string ToString() => Op == "content-length-range"
        ? $"[\"content-length-range\", {Min}, {Max}]"
        : $"[\"{Op}\", \"${Field}\", \"{Value}\"]";
}

/// <summary>
/// A browser-upload policy (the base64 JSON of a POST form): its expiration and conditions, and
/// the check of a form against them, as S3 words its refusals.
/// </summary>
public sealed class PostPolicy
{
    public required DateTimeOffset Expiration { get; init; }
    public required IReadOnlyList<PostCondition> Conditions { get; init; }

    /// <summary>The allowed size of the file, when the policy has a content-length-range.</summary>
    public (long Min, long Max)? LengthRange =>
        Conditions.LastOrDefault(c => c.Op == "content-length-range") is { } c ? (c.Min, c.Max) : null;

    // Form fields that never need a condition (AWS's list for both signature versions); checksums
    // of the file are verified against it instead.
    private static bool Exempt(string field) =>
        field is "awsaccesskeyid" or "signature" or "file" or "policy" or "x-amz-signature"
        || field.StartsWith("x-ignore-", StringComparison.Ordinal) || field.StartsWith("x-amz-checksum-", StringComparison.Ordinal);

    private static readonly string[] ExpirationFormats =
        ["yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"];

    /// <summary>Decodes and parses the policy field; a policy that does not parse is InvalidPolicyDocument (400).</summary>
    public static PostPolicy Parse(string base64)
    {
        byte[] json;
        try
        {
            json = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            throw Invalid("Invalid Policy: Invalid Base64 encoding.");
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException)
        {
            throw Invalid("Invalid Policy: Invalid JSON.");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Invalid("Invalid Policy: Invalid JSON.");
            // Both names are case-sensitive, as in S3.
            if (!root.TryGetProperty("expiration", out var exp)) throw Invalid("Invalid Policy: Policy missing expiration.");
            if (exp.ValueKind != JsonValueKind.String
                || !DateTimeOffset.TryParseExact(exp.GetString(), ExpirationFormats, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var expiration))
                throw Invalid($"Invalid Policy: Invalid 'expiration' value: '{exp}'");
            if (!root.TryGetProperty("conditions", out var conds)) throw Invalid("Invalid Policy: Policy missing conditions.");
            if (conds.ValueKind != JsonValueKind.Array) throw Invalid("Invalid Policy: Invalid 'conditions' value: must be a List.");
            var list = new List<PostCondition>();
            foreach (var c in conds.EnumerateArray()) list.Add(ParseCondition(c));
            return new PostPolicy { Expiration = expiration, Conditions = list };
        }
    }

    private static PostCondition ParseCondition(JsonElement c)
    {
        if (c.ValueKind == JsonValueKind.Object)
        {
            // {"field": "value"} is an exact match; it names exactly one field.
            var props = c.EnumerateObject().ToList();
            if (props.Count != 1 || props[0].Value.ValueKind != JsonValueKind.String)
                throw Invalid($"Invalid Policy: Invalid Simple-Condition: {c}");
            return new PostCondition("eq", props[0].Name.ToLowerInvariant(), props[0].Value.GetString()!);
        }
        if (c.ValueKind != JsonValueKind.Array) throw Invalid($"Invalid Policy: Invalid Condition: {c}");
        var items = c.EnumerateArray().ToList();
        if (items.Count == 0 || items[0].ValueKind != JsonValueKind.String) throw Invalid($"Invalid Policy: Invalid Condition: {c}");
        var op = items[0].GetString()!.ToLowerInvariant();
        switch (op)
        {
            case "eq" or "starts-with":
                if (items.Count != 3 || items[1].ValueKind != JsonValueKind.String || items[2].ValueKind != JsonValueKind.String
                    || items[1].GetString() is not { Length: > 1 } name || name[0] != '$')
                    throw Invalid($"Invalid Policy: Invalid {op} condition: {c}");
                return new PostCondition(op, name[1..].ToLowerInvariant(), items[2].GetString()!);
            case "content-length-range":
                if (items.Count != 3 || Length(items[1]) is not { } min || Length(items[2]) is not { } max || min > max)
                    throw Invalid($"Invalid Policy: Invalid content-length-range condition: {c}");
                return new PostCondition(op, "", "", min, max);
            default:
                throw Invalid($"Invalid Policy: Invalid condition operator '{items[0].GetString()}'");
        }
    }

    // A non-negative whole number, as a JSON number or a string of digits (clients send both).
    private static long? Length(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number when e.TryGetInt64(out var n) && n >= 0 => n,
        JsonValueKind.String when long.TryParse(e.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };

    /// <summary>
    /// Checks the form's fields (names lower-cased; the bucket included) against the policy:
    /// expired, a failed condition, or a field no condition names are AccessDenied, as in S3.
    /// </summary>
    public void Check(IReadOnlyDictionary<string, string> fields, DateTimeOffset now)
    {
        if (now >= Expiration) throw Denied("Invalid according to Policy: Policy expired.");
        var covered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in Conditions)
        {
            if (c.Op == "content-length-range") continue;
            covered.Add(c.Field);
            var value = fields.GetValueOrDefault(c.Field, "");
            var holds = c.Op == "eq"
                ? value == c.Value
                // Content-Type may list several types; each must match.
                : c.Field == "content-type"
                    ? value.Split(',').All(v => v.Trim().StartsWith(c.Value, StringComparison.Ordinal))
                    : value.StartsWith(c.Value, StringComparison.Ordinal);
            if (!holds) throw Denied($"Invalid according to Policy: Policy Condition failed: {c}");
        }
        var extra = fields.Keys.Where(f => !Exempt(f) && !covered.Contains(f)).Order(StringComparer.Ordinal).ToList();
        if (extra.Count > 0) throw Denied($"Invalid according to Policy: Extra input fields: {string.Join(", ", extra)}");
    }

    /// <summary>The size of the file against content-length-range.</summary>
    public void CheckLength(long size)
    {
        if (LengthRange is not var (min, max)) return;
        if (size > max) throw new S3Exception(S3ErrorCode.EntityTooLarge, $"Your proposed upload exceeds the maximum allowed size ({max} bytes).");
        if (size < min) throw new S3Exception(S3ErrorCode.EntityTooSmall, $"Your proposed upload is smaller than the minimum allowed size ({min} bytes).");
    }

    private static S3Exception Invalid(string m) => new(S3ErrorCode.InvalidPolicyDocument, m);
    private static S3Exception Denied(string m) => new(S3ErrorCode.AccessDenied, m);
}
