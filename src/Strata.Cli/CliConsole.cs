using Spectre.Console;

namespace Strata.Cli;

/// <summary>Where the CLI writes: tables and progress to Out, raw JSON to Json, errors to Error (swappable in tests).</summary>
public sealed record CliConsole(IAnsiConsole Out, TextWriter Json, TextWriter Error, bool Interactive)
{
    public static CliConsole Standard()
    {
        // Redirected output has no terminal width: let tables use a wide line instead of wrapping ids.
        if (Console.IsOutputRedirected) AnsiConsole.Console.Profile.Width = 200;
        return new(AnsiConsole.Console, Console.Out, Console.Error, !Console.IsOutputRedirected);
    }

    public static CliConsole ToWriter(TextWriter writer) => new(
        WideConsole(writer), writer, writer, false);

    private static IAnsiConsole WideConsole(TextWriter writer)
    {
        var c = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No });
        c.Profile.Width = 200;
        return c;
    }
}
