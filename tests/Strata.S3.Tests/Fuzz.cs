using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Strata.S3.Tests;

/// <summary>
/// Fuzzing helpers: inputs are either random bytes or valid examples mutated (bits flipped,
/// bytes inserted, deleted, duplicated, truncated), and the property is that the code under test
/// either succeeds or throws an allowed exception. STRATA_FUZZ_CASES sets the cases per property
/// (default 300, fast enough for CI; raise it to fuzz for longer).
/// </summary>
public static class Fuzz
{
    public static int Cases => int.TryParse(Environment.GetEnvironmentVariable("STRATA_FUZZ_CASES"), out var n) && n > 0 ? n : 300;

    // Bytes that tend to matter to parsers: separators, escapes, digits, signs, high and control bytes.
    private static readonly byte[] Interesting = "\r\n\0;:=,/%&?-+.~^ \t\"'<>[]{}$0123456789aFfzZ\\"u8.ToArray().Concat(new byte[] { 0x7F, 0x80, 0xC3, 0xFF, 0xFE, 0xEF, 0xBB, 0xBF }).ToArray();

    public static byte[] Mutate(byte[] seed, Random rng)
    {
        var b = new List<byte>(seed);
        var edits = 1 + rng.Next(rng.Next(2) == 0 ? 3 : 12);
        for (var i = 0; i < edits; i++)
        {
            var at = b.Count == 0 ? 0 : rng.Next(b.Count);
            switch (rng.Next(7))
            {
                case 0 when b.Count > 0: b[at] ^= (byte)(1 << rng.Next(8)); break;
                case 1: b.Insert(at, Interesting[rng.Next(Interesting.Length)]); break;
                case 2 when b.Count > 0: b.RemoveAt(at); break;
                case 3 when b.Count > 0:
                    var len = Math.Min(b.Count - at, 1 + rng.Next(16));
                    b.InsertRange(rng.Next(b.Count), b.GetRange(at, len));
                    break;
                case 4 when b.Count > 0: b.RemoveRange(at, b.Count - at); break;
                case 5: b.Insert(at, (byte)rng.Next(256)); break;
                default:
                    if (b.Count > 0) b[at] = Interesting[rng.Next(Interesting.Length)];
                    break;
            }
        }
        return b.ToArray();
    }

    /// <summary>One in five inputs random, the rest mutations of a seed.</summary>
    public static Gen<byte[]> Bytes(params byte[][] seeds) =>
        Gen.Choose(0, int.MaxValue).Select(s =>
        {
            var rng = new Random(s);
            if (seeds.Length == 0 || rng.Next(5) == 0)
            {
                var r = new byte[rng.Next(rng.Next(4) == 0 ? 4096 : 64)];
                for (var i = 0; i < r.Length; i++) r[i] = rng.Next(3) == 0 ? Interesting[rng.Next(Interesting.Length)] : (byte)rng.Next(256);
                return r;
            }
            return Mutate(seeds[rng.Next(seeds.Length)], rng);
        });

    /// <summary>Text inputs: bytes read as Latin-1 (each byte one char, as HTTP headers arrive).</summary>
    public static Gen<string> Text(params string[] seeds) =>
        Bytes(seeds.Select(s => Encoding.UTF8.GetBytes(s)).ToArray()).Select(b => Encoding.Latin1.GetString(b));

    /// <summary>Runs <paramref name="body"/> on Cases inputs; any exception <paramref name="allowed"/> rejects fails the property with the input shown.</summary>
    public static void Check<T>(Gen<T> gen, Action<T> body, Func<Exception, bool> allowed)
    {
        var prop = Prop.ForAll(gen.ToArbitrary(), input =>
        {
            try
            {
                body(input);
            }
            catch (Exception e) when (allowed(e))
            {
                // A refusal the gateway answers as an S3 error: fine.
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                throw new Xunit.Sdk.XunitException($"{e.GetType().FullName}: {e.Message}\ninput: {Show(input)}\n{e.StackTrace}");
            }
        });
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(Cases).WithQuietOnSuccess(true), prop);
    }

    public static string Show<T>(T input) => input switch
    {
        byte[] b => Convert.ToBase64String(b) + " = " + Escape(Encoding.Latin1.GetString(b)),
        string s => Escape(s),
        _ => input?.ToString() ?? "null",
    };

    private static string Escape(string s)
    {
        var sb = new StringBuilder();
        foreach (var c in s.Length > 2000 ? s[..2000] : s)
            sb.Append(c is >= ' ' and < (char)0x7F ? c.ToString() : $"\\x{(int)c:X2}");
        return sb.ToString();
    }
}
